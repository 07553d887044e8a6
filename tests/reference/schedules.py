"""Twin of fastq/kernels/schedules.py."""


def _power(base, n):
    result = 1.0
    while n > 0:
        if n & 1:
            result *= base
        base *= base
        n >>= 1
    return result


def schedule_value(schedule, episode):
    kind, start, end, param = schedule
    if kind == 1:
        return start + (end - start) * min(1.0, episode / param)
    if kind == 2:
        return end + (start - end) * _power(param, episode)
    return start
