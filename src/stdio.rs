//! Writing to stdout and stderr without panicking. `print!` panics when the
//! reader went away (`agentload check P | head`, a supervisor that was
//! killed); here a closed stream ends that stream's output quietly, the way
//! ripgrep does, and the command carries on: a run still writes its output
//! files and exits with its own code.
//!
//! Use [`out!`](crate::out), [`outln!`](crate::outln) and
//! [`errln!`](crate::errln) wherever the tool writes to the terminal.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes to stdout and flushes; once a write failed, writes nothing more.
/// A failure other than a closed pipe (a full disk) is said once on stderr.
pub fn out(args: std::fmt::Arguments<'_>) {
    if let Some(e) = write(&STDOUT_CLOSED, &mut io::stdout().lock(), args)
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        err(format_args!(
            "warning: cannot write to stdout ({e}); the rest of the output is dropped\n"
        ));
    }
}

/// Writes to stderr; once a write failed, writes nothing more.
pub fn err(args: std::fmt::Arguments<'_>) {
    let _ = write(&STDERR_CLOSED, &mut io::stderr().lock(), args);
}

/// The first error of a stream, then `None` for every later (skipped) write.
fn write(
    closed: &AtomicBool,
    w: &mut impl Write,
    args: std::fmt::Arguments<'_>,
) -> Option<io::Error> {
    if closed.load(Ordering::Relaxed) {
        return None;
    }
    let e = w.write_fmt(args).and_then(|()| w.flush()).err()?;
    closed.store(true, Ordering::Relaxed);
    Some(e)
}

/// `print!` that never panics (see [`crate::stdio`]).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::stdio::out(format_args!($($arg)*)) };
}

/// `println!` that never panics (see [`crate::stdio`]).
#[macro_export]
macro_rules! outln {
    () => { $crate::stdio::out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::stdio::out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` that never panics (see [`crate::stdio`]).
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => { $crate::stdio::err(format_args!("{}\n", format_args!($($arg)*))) };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that went away.
    struct Closed;
    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_stream_fails_once_then_is_skipped() {
        let closed = AtomicBool::new(false);
        let first = write(&closed, &mut Closed, format_args!("a"));
        assert_eq!(first.map(|e| e.kind()), Some(io::ErrorKind::BrokenPipe));
        assert!(write(&closed, &mut Closed, format_args!("b")).is_none());
        let open = AtomicBool::new(false);
        let mut buf = Vec::new();
        assert!(write(&open, &mut buf, format_args!("x{}", 1)).is_none());
        assert_eq!(buf, b"x1");
    }
}
