//! Load profiles for the runs of the built binary, built in code and
//! rendered to TOML: a test states only where its profile differs from the
//! bounded run they share ([`Profile::bounded`]). Each field mirrors the key
//! of the same name in `profiles/smoke.toml`; `None` leaves it out, so
//! agentload's own default applies.

use std::path::Path;

use serde::Serialize;

/// A profile: the top-level keys and every table.
#[derive(Serialize)]
pub struct Profile {
    /// `name`.
    pub name: &'static str,
    /// `description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'static str>,
    /// `seed`.
    pub seed: u64,
    /// `[agents]`.
    pub agents: Agents,
    /// `[[stages]]`.
    pub stages: Vec<Stage>,
    /// `[behaviour]`.
    pub behaviour: Behaviour,
    /// `[traffic]`.
    pub traffic: Traffic,
    /// `[simulator]`, left out when every field is `None`.
    #[serde(skip_serializing_if = "Simulator::is_empty")]
    pub simulator: Simulator,
    /// `[report]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Report>,
    /// `[[gates]]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<Gate>,
}

/// `[agents]`.
#[derive(Serialize)]
pub struct Agents {
    /// `count`.
    pub count: u32,
    /// `password`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<&'static str>,
    /// `channels`.
    pub channels: Vec<&'static str>,
}

/// One of `[[stages]]`.
#[derive(Serialize)]
pub struct Stage {
    /// `duration`.
    pub duration: &'static str,
    /// `agents`, reached by the end of the stage.
    pub agents: u32,
}

/// `[behaviour]`.
#[derive(Serialize)]
pub struct Behaviour {
    /// `accept_probability`.
    pub accept_probability: f64,
    /// `answer_delay`.
    pub answer_delay: &'static str,
    /// `no_answer_probability`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_answer_probability: Option<f64>,
    /// `handle_time`.
    pub handle_time: &'static str,
    /// `chat_messages`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_messages: Option<&'static str>,
    /// `on_stop`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_stop: Option<&'static str>,
    /// `[behaviour.not_ready]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_ready: Option<NotReady>,
}

/// `[behaviour.not_ready]`.
#[derive(Serialize)]
pub struct NotReady {
    /// `every`.
    pub every: &'static str,
    /// `duration`.
    pub duration: &'static str,
}

/// `[traffic]`.
#[derive(Serialize)]
pub struct Traffic {
    /// `email_rate`, per second.
    pub email_rate: f64,
    /// `chat_rate`, per second.
    pub chat_rate: f64,
    /// `arrival`.
    pub arrival: &'static str,
    /// `drain`.
    pub drain: &'static str,
}

/// `[simulator]`, the embedded simulator's settings.
#[derive(Serialize, Default)]
pub struct Simulator {
    /// `password`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<&'static str>,
    /// `invite_timeout`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_timeout: Option<&'static str>,
    /// `connect_timeout`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_timeout: Option<&'static str>,
    /// `routing_delay`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_delay: Option<&'static str>,
    /// `[simulator.faults]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub faults: Option<Faults>,
}

/// `[simulator.faults]`.
#[derive(Serialize)]
pub struct Faults {
    /// `rest_503`.
    pub rest_503: f64,
    /// `rest_latency`.
    pub rest_latency: &'static str,
    /// `delivery_latency`.
    pub delivery_latency: &'static str,
    /// `reset_connect`.
    pub reset_connect: f64,
    /// `forget_session`.
    pub forget_session: f64,
    /// `pause_every`.
    pub pause_every: &'static str,
    /// `pause_duration`.
    pub pause_duration: &'static str,
}

/// `[report]`.
#[derive(Serialize)]
pub struct Report {
    /// `interval`.
    pub interval: &'static str,
}

/// One of `[[gates]]`.
#[derive(Serialize)]
pub struct Gate {
    /// `rule`.
    pub rule: &'static str,
}

impl Profile {
    /// The bounded run the tests share: `agents` agents on email and chat,
    /// ramped up over `ramp` and held for `hold`, every invite answered
    /// (no_answer_probability 0), Poisson arrivals of 8 email and 8 chat a
    /// second, a 4 s drain, invites revoked after 3 s.
    pub fn bounded(
        name: &'static str,
        agents: u32,
        ramp: &'static str,
        hold: &'static str,
    ) -> Profile {
        Profile {
            name,
            description: None,
            seed: 7,
            agents: Agents {
                count: agents,
                password: None,
                channels: vec!["email", "chat"],
            },
            stages: vec![
                Stage {
                    duration: ramp,
                    agents,
                },
                Stage {
                    duration: hold,
                    agents,
                },
            ],
            behaviour: Behaviour::default(),
            traffic: Traffic::default(),
            simulator: Simulator {
                invite_timeout: Some("3s"),
                ..Simulator::default()
            },
            report: None,
            gates: Vec::new(),
        }
    }

    /// The profile as a TOML document.
    /// [`Profile::bounded`] on email only: every invite accepted after
    /// 10-30 ms, handled for 100-300 ms, 10 emails a second at a constant
    /// rate, a 2 s drain. Short runs whose figures barely vary.
    pub fn accepting_emails(
        name: &'static str,
        seed: u64,
        agents: u32,
        (ramp, hold): (&'static str, &'static str),
    ) -> Profile {
        let mut profile = Profile {
            seed,
            behaviour: Behaviour {
                accept_probability: 1.0,
                answer_delay: "10ms..30ms",
                no_answer_probability: None,
                handle_time: "100ms..300ms",
                ..Behaviour::default()
            },
            traffic: Traffic {
                email_rate: 10.0,
                chat_rate: 0.0,
                arrival: "constant",
                drain: "2s",
            },
            ..Profile::bounded(name, agents, ramp, hold)
        };
        profile.agents.channels = vec!["email"];
        profile
    }

    /// This profile against an embedded simulator that routes each
    /// interaction `delay` late (a slower server to compare with).
    pub fn routed_after(self, delay: &'static str) -> Profile {
        Profile {
            simulator: Simulator {
                routing_delay: Some(delay),
                ..Simulator::default()
            },
            ..self
        }
    }

    pub fn to_toml(&self) -> String {
        // Plain strings and numbers in tables: nothing here fails to render.
        toml::to_string(self).expect("a profile renders to TOML")
    }

    /// Writes it to `path`.
    pub fn write(&self, path: &Path) {
        std::fs::write(path, self.to_toml())
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}

impl Default for Behaviour {
    /// Accept 80 % after 20..150 ms, always answer, handle for 200..800 ms.
    fn default() -> Behaviour {
        Behaviour {
            accept_probability: 0.8,
            answer_delay: "20ms..150ms",
            no_answer_probability: Some(0.0),
            handle_time: "200ms..800ms",
            chat_messages: None,
            on_stop: None,
            not_ready: None,
        }
    }
}

impl Default for Traffic {
    /// 8 email and 8 chat a second, Poisson, a 4 s drain.
    fn default() -> Traffic {
        Traffic {
            email_rate: 8.0,
            chat_rate: 8.0,
            arrival: "poisson",
            drain: "4s",
        }
    }
}

impl Simulator {
    fn is_empty(&self) -> bool {
        let Simulator {
            password,
            invite_timeout,
            connect_timeout,
            routing_delay,
            faults,
        } = self;
        password.is_none()
            && invite_timeout.is_none()
            && connect_timeout.is_none()
            && routing_delay.is_none()
            && faults.is_none()
    }
}
