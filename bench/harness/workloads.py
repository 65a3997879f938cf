"""The workloads and the two plans (quick, full) that run them."""

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Workload:
    """One workload: the simulator's hold, the interactions, the agent counts."""

    name: str
    title: str
    hold_s: float
    agents: tuple[int, ...]
    window_s: float
    email_rate: float = 0.0
    # Logins per second while agents are added, the same for every tool.
    ramp_per_s: int = 250

    @property
    def measures_delivery(self) -> bool:
        return self.email_rate > 0


@dataclass(frozen=True)
class Behaviour:
    """What an agent does with an invite (W2), the same for every tool."""

    channels: tuple[str, ...] = ("email", "chat")
    answer_delay_s: float = 0.1
    handle_s: float = 1.0


@dataclass(frozen=True)
class Plan:
    """Everything one invocation measures."""

    mode: str
    workloads: tuple[Workload, ...]
    repeat: int
    quiet_load: float
    quiet_timeout_s: float
    # Seconds to wait, once every agent holds a connect, before the window.
    settle_s: float = 5.0
    behaviour: Behaviour = field(default_factory=Behaviour)
    wrk_s: float = 10.0


def full() -> Plan:
    return Plan(
        mode="full",
        workloads=(
            Workload("W1", "idle long-poll, 2 s cycle", 2.0, (500, 1000, 2000, 4000, 8000), 40.0),
            Workload("W2", "2 s cycle, email at 100/s accepted and completed", 2.0,
                     (500, 1000, 2000, 4000, 8000), 40.0, email_rate=100.0),
            Workload("W3", "idle agents, 30 s hold (memory)", 30.0, (2500, 5000, 10000), 60.0),
        ),
        repeat=3, quiet_load=0.5, quiet_timeout_s=300.0, wrk_s=20.0,
    )


def quick() -> Plan:
    # W1 at 2,000 and 4,000: the slope, and the point the headline ratios are
    # read at; W2 at one of W1's N (an interaction's cost is W2's CPU beyond
    # W1's at the same N) and W3 at one N, in about 11 minutes of measuring
    # with three tools.
    return Plan(
        mode="quick",
        workloads=(
            Workload("W1", "idle long-poll, 2 s cycle", 2.0, (2000, 4000), 20.0),
            Workload("W2", "2 s cycle, email at 100/s accepted and completed", 2.0, (2000,), 20.0,
                     email_rate=100.0),
            Workload("W3", "idle agents, 30 s hold (memory)", 30.0, (2000,), 30.0),
        ),
        repeat=1, quiet_load=0.5, quiet_timeout_s=10.0, wrk_s=5.0,
    )


def narrowed(plan: Plan, names: list[str] | None, agents: list[int] | None,
             window_s: float | None) -> Plan:
    """The plan with only the named workloads, and agent counts or window
    replaced when given."""
    chosen = []
    for w in plan.workloads:
        if names and w.name not in names:
            continue
        if agents:
            w = replace(w, agents=tuple(agents))
        if window_s:
            w = replace(w, window_s=window_s)
        chosen.append(w)
    return replace(plan, workloads=tuple(chosen))
