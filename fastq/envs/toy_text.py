"""Built-in environments: Gymnasium's toy_text dynamics as data, plus Chain and random MDPs.

Each builder writes ``P[s][a] = [(prob, next_state, reward, terminated), ...]``
from the rules of the game, outcome for outcome in Gymnasium's order (duplicate
next states and zero-probability outcomes included, the latter dropped by
:meth:`TabularEnv.from_transitions`), so the arrays equal ``env.unwrapped.P``
of Gymnasium 1.4. Gymnasium itself is never imported here.
"""
from __future__ import annotations

import numpy as np

from .. import _validate
from .tabular import TabularEnv

FROZEN_LAKE_MAPS = {
    "4x4": ["SFFF", "FHFH", "FFFH", "HFFG"],
    "8x8": ["SFFFFFFF", "FFFFFFFF", "FFFHFFFF", "FFFFFHFF",
            "FFFHFFFF", "FHHFFFHF", "FHFFHFHF", "FFFHFFFG"],
}

TAXI_MAP = [
    "+---------+",
    "|R: | : :G|",
    "| : | : : |",
    "| : : : : |",
    "| | : | : |",
    "|Y| : |B: |",
    "+---------+",
]
TAXI_PADS = [(0, 0), (0, 4), (4, 0), (4, 3)]  # R, G, Y, B


def _slip(action: int) -> list[int]:
    """The moves a slippery step may take, in Gymnasium's order: a - 1, a, a + 1 (mod 4)."""
    return [(action - 1) % 4, action, (action + 1) % 4]


# ---------------------------------------------------------------- FrozenLake
def frozen_lake(desc=None, map_name="4x4", is_slippery=True, success_rate=1.0 / 3.0,
                reward_schedule=(1, 0, 0), max_steps=100) -> TabularEnv:
    """FrozenLake: cross a frozen lake from S to G without falling into a hole H.

    Reproduces Gymnasium's ``FrozenLake-v1`` (and ``FrozenLake8x8-v1`` with
    ``map_name="8x8", max_steps=200``).

    Description
        A grid of tiles S (start), F (frozen), H (hole), G (goal); state
        ``row * n_cols + col``. The episode starts on an S tile (uniformly if
        a custom map has several).
    Action space
        0 left, 1 down, 2 right, 3 up; moves off the grid stay in place. On a
        slippery lake the move is the intended one with probability
        ``success_rate``, else one of the two perpendicular moves (equally likely).
    Rewards
        ``reward_schedule = (goal, hole, frozen)`` for the tile entered (S counts
        as frozen); default 1 for reaching G, else 0.
    Episode end
        Termination: entering H or G (both absorbing, reward 0).
        Truncation: after ``max_steps`` steps (100; Gymnasium's FrozenLake8x8-v1: 200).
    Arguments
        desc : list of str, optional -- a custom map (overrides ``map_name``).
        map_name : "4x4" or "8x8". is_slippery : bool. success_rate : float in [0, 1].
        reward_schedule : 3 numbers. max_steps : int or None (no limit).
    """
    map_name = _validate.choice("map_name", map_name, FROZEN_LAKE_MAPS)
    rows = _validate.char_grid("desc", FROZEN_LAKE_MAPS[map_name] if desc is None else desc,
                               allowed="SFHG", required="S")
    is_slippery = _validate.flag("is_slippery", is_slippery)
    success_rate = _validate.real("success_rate", success_rate, 0.0, 1.0)
    goal_r, hole_r, frozen_r = _validate.real_vector("reward_schedule", reward_schedule, 3).tolist()
    n_rows, n_cols = len(rows), len(rows[0])
    fail_rate = (1.0 - success_rate) / 2.0
    deltas = [(0, -1), (1, 0), (0, 1), (-1, 0)]  # left, down, right, up

    def outcome(row, col, move):
        r = min(max(row + deltas[move][0], 0), n_rows - 1)
        c = min(max(col + deltas[move][1], 0), n_cols - 1)
        letter = rows[r][c]
        reward = {"G": goal_r, "H": hole_r}.get(letter, frozen_r)
        return r * n_cols + c, reward, letter in "GH"

    P = {}
    for row in range(n_rows):
        for col in range(n_cols):
            s = row * n_cols + col
            P[s] = {}
            for a in range(4):
                if rows[row][col] in "GH":
                    P[s][a] = [(1.0, s, 0.0, True)]
                elif is_slippery:
                    P[s][a] = [(success_rate if b == a else fail_rate, *outcome(row, col, b))
                               for b in _slip(a)]
                else:
                    P[s][a] = [(1.0, *outcome(row, col, a))]
    initial = np.array([letter == "S" for row in rows for letter in row], np.float64)
    initial /= initial.sum()
    return TabularEnv.from_transitions(P, n_states=n_rows * n_cols, n_actions=4, initial=initial,
                                       max_steps=max_steps, name="FrozenLake-v1")


# ---------------------------------------------------------------- Taxi
def taxi(is_rainy=False, rainy_probability=0.8, fickle_passenger=False,
         max_steps=200) -> TabularEnv:
    """Taxi: pick up the passenger at one pad and drop them off at another.

    Reproduces Gymnasium's ``Taxi-v4`` (Dietterich 2000).

    Description
        A 5x5 grid with walls and four pads R, G, Y, B. State
        ``((row * 5 + col) * 5 + passenger) * 4 + destination`` (500 states;
        passenger 4 means in the taxi). Episodes start uniformly over the 300
        states with the passenger on a pad other than the destination.
    Action space
        0 south, 1 north, 2 east, 3 west, 4 pickup, 5 drop off. When rainy, a
        move that is possible goes as intended with probability
        ``rainy_probability``, else to the left or right of the heading
        (equally likely); a move blocked by a wall or the edge stays put.
    Rewards
        -1 per step, +20 for delivering the passenger, -10 for an illegal
        pickup or drop-off.
    Episode end
        Termination: the passenger is dropped off at the destination.
        Truncation: after ``max_steps`` steps (200).
    Arguments
        is_rainy : bool. rainy_probability : float in [0, 1].
        fickle_passenger : must be False (see below). max_steps : int or None.

    Gymnasium's ``fickle_passenger`` changes the destination on the first move
    after a pickup depending on hidden episode state (whether this episode is
    fickle and has been already), so it has no tabular model over the 500
    observable states; it is refused.
    """
    if _validate.flag("fickle_passenger", fickle_passenger):
        raise ValueError("fickle_passenger=True is not supported: the passenger's change of "
                         "destination depends on hidden per-episode state (a coin flipped at "
                         "reset, and whether it already happened), so the dynamics are not a "
                         "tabular MDP over Taxi's 500 states")
    is_rainy = _validate.flag("is_rainy", is_rainy)
    rainy_probability = _validate.real("rainy_probability", rainy_probability, 0.0, 1.0)
    lateral = (1.0 - rainy_probability) / 2.0
    sides = {0: (2, 3), 1: (3, 2), 2: (1, 0), 3: (0, 1)}  # (left, right) of each heading

    def move(row, col, direction):
        if direction == 0:
            return min(row + 1, 4), col
        if direction == 1:
            return max(row - 1, 0), col
        if direction == 2 and TAXI_MAP[1 + row][2 * col + 2] == ":":
            return row, col + 1
        if direction == 3 and TAXI_MAP[1 + row][2 * col] == ":":
            return row, col - 1
        return row, col  # wall or edge

    def encode(row, col, passenger, dest):
        return ((row * 5 + col) * 5 + passenger) * 4 + dest

    P = {}
    initial = np.zeros(500)
    for row in range(5):
        for col in range(5):
            for passenger in range(5):
                for dest in range(4):
                    s = encode(row, col, passenger, dest)
                    initial[s] = passenger < 4 and passenger != dest
                    P[s] = {}
                    for a in range(4):
                        target = move(row, col, a)
                        if not is_rainy:
                            P[s][a] = [(1.0, encode(*target, passenger, dest), -1, False)]
                            continue
                        left = right = (row, col)  # a blocked move does not drift either
                        if target != (row, col):
                            left, right = (move(row, col, d) for d in sides[a])
                        P[s][a] = [(p, encode(*pos, passenger, dest), -1, False) for p, pos in
                                   ((rainy_probability, target), (lateral, left), (lateral, right))]
                    here = (row, col)
                    if passenger < 4 and here == TAXI_PADS[passenger]:
                        P[s][4] = [(1.0, encode(row, col, 4, dest), -1, False)]
                    else:
                        P[s][4] = [(1.0, s, -10, False)]
                    if passenger == 4 and here == TAXI_PADS[dest]:
                        P[s][5] = [(1.0, encode(row, col, dest, dest), 20, True)]
                    elif passenger == 4 and here in TAXI_PADS:
                        P[s][5] = [(1.0, encode(row, col, TAXI_PADS.index(here), dest), -1, False)]
                    else:
                        P[s][5] = [(1.0, s, -10, False)]
    initial /= initial.sum()
    return TabularEnv.from_transitions(P, n_states=500, n_actions=6, initial=initial,
                                       max_steps=max_steps, name="Taxi-v4")


# ---------------------------------------------------------------- CliffWalking
def cliff_walking(is_slippery=False, max_steps=None) -> TabularEnv:
    """CliffWalking: walk along a cliff from start to goal (Sutton & Barto, Example 6.6).

    Reproduces Gymnasium's ``CliffWalking-v1`` (``CliffWalkingSlippery-v1``
    with ``is_slippery=True``).

    Description
        A 4x12 grid, state ``row * 12 + col``; start 36 (row 3, col 0), goal 47
        (row 3, col 11), cliff along row 3, cols 1-10. All 48 cells have
        transitions, as in Gymnasium, though cliff cells are never occupied.
    Action space
        0 up, 1 right, 2 down, 3 left; moves off the grid stay in place. When
        slippery, the intended move and the two perpendicular ones each have
        probability 1/3.
    Rewards
        -1 per step; -100 for stepping into the cliff, which sends the player
        back to the start without ending the episode.
    Episode end
        Termination: entering the goal. Truncation: none by default (Gymnasium
        registers no time limit); ``max_steps`` sets one.
    Arguments
        is_slippery : bool. max_steps : int or None.
    """
    is_slippery = _validate.flag("is_slippery", is_slippery)
    deltas = [(-1, 0), (0, 1), (1, 0), (0, -1)]  # up, right, down, left
    start, goal = 36, 47

    def outcome(row, col, move, prob):
        r = min(max(row + deltas[move][0], 0), 3)
        c = min(max(col + deltas[move][1], 0), 11)
        if r == 3 and 1 <= c <= 10:
            return prob, start, -100, False
        return prob, r * 12 + c, -1, r * 12 + c == goal

    P = {}
    for s in range(48):
        row, col = divmod(s, 12)
        moves = {a: _slip(a) if is_slippery else [a] for a in range(4)}
        P[s] = {a: [outcome(row, col, m, 1 / len(moves[a])) for m in moves[a]] for a in range(4)}
    return TabularEnv.from_transitions(P, n_states=48, n_actions=4, initial=start,
                                       max_steps=max_steps, name="CliffWalking-v1")


# ---------------------------------------------------------------- Chain
def chain(n_states=10, max_steps=100) -> TabularEnv:
    """Chain: walk forward along a line of states to the end.

    Not a Gymnasium environment (``Chain-v0`` here).

    Description
        ``n_states`` states in a line, start in state 0; deterministic.
    Action space
        0 forward (+1), 1 back (-1, floored at 0), 2 stay.
    Rewards
        forward 1, back -1, stay 0.
    Episode end
        Termination: any transition into the last state (which is absorbing,
        reward 0). Truncation: after ``max_steps`` steps (100).
    Arguments
        n_states : int >= 2. max_steps : int or None.

    With discount gamma < 1, always going forward is optimal:
    ``V*(s) = (1 - gamma**k) / (1 - gamma)`` with ``k = n_states - 1 - s``.
    """
    n_states = _validate.count("n_states", n_states, minimum=2)
    last = n_states - 1
    P = {last: {a: [(1.0, last, 0.0, True)] for a in range(3)}}
    for s in range(last):
        P[s] = {0: [(1.0, s + 1, 1.0, s + 1 == last)],
                1: [(1.0, max(s - 1, 0), -1.0, False)],
                2: [(1.0, s, 0.0, False)]}
    return TabularEnv.from_transitions(P, n_states=n_states, n_actions=3, initial=0,
                                       max_steps=max_steps, name="Chain-v0")


# ---------------------------------------------------------------- random MDPs
def random_mdp(n_states, n_actions, seed=0, n_outcomes=3, terminal_fraction=0.1,
               reward_scale=1.0, max_steps=100) -> TabularEnv:
    """A random finite MDP, the same for the same arguments.

    Description
        Each (state, action) pair has ``min(n_outcomes, n_states)`` distinct
        next states drawn uniformly, Dirichlet(1, ..., 1) probabilities and
        normal(0, ``reward_scale``) rewards per outcome. Start state 0.
    Episode end
        Termination: a transition into one of ``round(terminal_fraction *
        n_states)`` terminal states (at least one when the fraction is
        positive; never state 0). Truncation: after ``max_steps`` steps.
    Arguments
        n_states, n_actions : int >= 1. seed : int (``np.random.default_rng``).
        n_outcomes : int >= 1. terminal_fraction : float in [0, 1].
        reward_scale : float >= 0. max_steps : int or None.

    Example
    -------
    >>> env = fastq.random_mdp(20, 4, seed=1)
    """
    n_states = _validate.count("n_states", n_states)
    n_actions = _validate.count("n_actions", n_actions)
    rng = np.random.default_rng(_validate.seed(seed))
    k = min(_validate.count("n_outcomes", n_outcomes), n_states)
    fraction = _validate.real("terminal_fraction", terminal_fraction, 0.0, 1.0)
    scale = _validate.real("reward_scale", reward_scale, 0.0, np.inf)
    n_pairs = n_states * n_actions
    n_terminal = min(n_states - 1, max(int(fraction > 0), round(fraction * n_states)))
    terminal = np.zeros(n_states, bool)
    terminal[1 + rng.permutation(n_states - 1)[:n_terminal]] = True
    # k distinct next states per pair: draw the j-th among the n_states - j not yet taken
    draws = []  # k distinct next states per pair: draw j indexes the n_states - j untaken ones
    for j in range(k):
        v = rng.integers(0, n_states - j, n_pairs)
        for taken in np.sort(np.array(draws).reshape(j, n_pairs), axis=0):  # ascending per pair
            v += v >= taken
        draws.append(v)
    next_states = np.column_stack(draws)
    probs = rng.dirichlet(np.ones(k), size=n_pairs)
    rewards = rng.normal(0.0, scale, size=(n_pairs, k))
    return TabularEnv(n_states, n_actions, np.arange(n_pairs + 1) * k, probs.ravel(),
                      next_states.ravel(), rewards.ravel(), terminal[next_states.ravel()],
                      initial=0, max_steps=max_steps,
                      name=f"random_mdp({n_states}, {n_actions}, seed={seed})")
