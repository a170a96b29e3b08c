//! The table of open connections, which keeps their number bounded.
//!
//! Every connection holds a thread while it is open, so their number is
//! capped (`--web.max-connections`). At the cap, a new connection should
//! not simply be refused: a client holding many silent sockets would then
//! lock Prometheus out. Instead the connection that has waited longest
//! without a complete request (an idle kept-alive one, or a slow one) is
//! closed to make room. Only when every connection is busy answering a
//! request is the new one refused.
//!
//! Closing happens from the accepting thread, through a clone of the
//! socket: `shutdown` wakes the worker blocked in `read()` (or `write()`)
//! on it, which then ends the connection as if the peer had gone. A
//! graceful stop closes the idle connections the same way, and leaves the
//! others to finish their answer.
//!
//! Running out of file descriptors is met the same way as the cap: the
//! longest-waiting connection is closed to make room. Its clone is closed
//! at once; its socket, once its worker has woken and let go of it. Until
//! then the connection is *closing*, and the table waits for it, a moment
//! at most, rather than close one more: on a busy machine the workers may
//! be slow to wake, and closing a connection for every descriptor wanted
//! meanwhile would empty the table of every idle connection.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::os::exhaustion;

/// How long making room waits for a closing connection's worker to let go
/// of its socket.
const CLOSING_PATIENCE: Duration = Duration::from_millis(100);

/// The open connections, at most `max_connections` of them, each with what
/// it is doing, so that the right one can be closed to make room.
pub struct ConnectionTable {
    max_connections: usize,
    state: Mutex<State>,
    /// Told each time a closing connection's worker lets go of it.
    let_go: Condvar,
}

#[derive(Default)]
struct State {
    next_id: u64,
    open: BTreeMap<u64, Entry>,
    /// Connections closed by the table whose workers still hold their
    /// socket: each frees a descriptor soon.
    closing: BTreeSet<u64>,
}

struct Entry {
    /// A clone of the connection's socket, used only to shut it down.
    stream: TcpStream,
    state: ConnectionState,
}

/// What a connection is doing, as far as closing it is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ConnectionState {
    /// Waiting for its next request, since then: evictable, and closed
    /// by a graceful stop.
    Idle(Instant),
    /// Waiting for its client to take a response, since then: evictable
    /// (a client that slow is no better than an idle one), but a
    /// graceful stop lets it finish.
    Writing(Instant),
    /// Answering a request: never closed from outside.
    Busy,
}

impl ConnectionState {
    /// Since when it has been waiting on its client, if it is.
    fn waiting_since(self) -> Option<Instant> {
        match self {
            ConnectionState::Idle(since) | ConnectionState::Writing(since) => Some(since),
            ConnectionState::Busy => None,
        }
    }
}

/// What [`ConnectionTable::admit`] decided.
pub enum Admission {
    /// The connection is in the table until the registration is dropped.
    Admitted(Registration),
    /// The table is full of busy connections.
    Full,
}

impl ConnectionTable {
    /// An empty table that admits up to `max_connections` (at least one).
    pub fn new(max_connections: usize) -> ConnectionTable {
        ConnectionTable {
            max_connections: max_connections.max(1),
            state: Mutex::new(State::default()),
            let_go: Condvar::new(),
        }
    }

    /// Admits a new connection, closing the longest-waiting one if the
    /// table is full. Its clone needs a descriptor: if none is left, room
    /// is made ([`ConnectionTable::make_room`]) and the clone tried once
    /// more. Fails only if that fails too.
    pub fn admit(self: &Arc<Self>, stream: &TcpStream) -> io::Result<Admission> {
        let mut state = self.lock();
        if state.open.len() >= self.max_connections && !state.close_longest_waiting() {
            return Ok(Admission::Full);
        }
        let clone = match stream.try_clone() {
            Err(err) if exhaustion::is_out_of_file_descriptors(&err) => {
                let made_room;
                (state, made_room) = self.make_room_locked(state);
                if !made_room {
                    return Err(err);
                }
                exhaustion::report_out_of_fds("admitting; making room", &err);
                stream.try_clone()?
            }
            other => other?,
        };
        let id = state.next_id;
        state.next_id += 1;
        state
            .open
            .insert(id, Entry { stream: clone, state: ConnectionState::Idle(Instant::now()) });
        Ok(Admission::Admitted(Registration { table: Arc::clone(self), id }))
    }

    /// Frees a descriptor, out of them: waits for a closing connection's
    /// worker to let go of its socket, or closes the connection that has
    /// waited longest on its client and waits for that one. False if
    /// there is none to wait for: every connection is busy answering.
    pub fn make_room(&self) -> bool {
        self.make_room_locked(self.lock()).1
    }

    fn make_room_locked<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
    ) -> (MutexGuard<'a, State>, bool) {
        if state.closing.is_empty() && !state.close_longest_waiting() {
            return (state, false);
        }
        let closing = state.closing.len();
        let waited = self
            .let_go
            .wait_timeout_while(state, CLOSING_PATIENCE, |state| state.closing.len() >= closing);
        let (state, _) = waited.unwrap_or_else(|poisoned| poisoned.into_inner());
        (state, true)
    }

    /// How many connections are open.
    pub fn len(&self) -> usize {
        self.lock().open.len()
    }

    /// Whether no connection is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Shuts the idle connections down, and takes them out of the table;
    /// the others stay to finish what they are doing.
    pub fn close_idle(&self) {
        let mut state = self.lock();
        let idle: Vec<u64> = state
            .open
            .iter()
            .filter(|(_, entry)| matches!(entry.state, ConnectionState::Idle(_)))
            .map(|(id, _)| *id)
            .collect();
        for id in idle {
            state.close(id);
        }
    }

    /// Shuts every connection down, so that their workers return.
    pub fn close_all(&self) {
        let mut state = self.lock();
        let all: Vec<u64> = state.open.keys().copied().collect();
        for id in all {
            state.close(id);
        }
    }

    /// A panic while the lock is held cannot leave the table half
    /// updated (every change is one map operation), so a poisoned lock
    /// is still usable.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn set_state(&self, id: u64, new_state: ConnectionState) {
        if let Some(entry) = self.lock().open.get_mut(&id) {
            entry.state = new_state;
        }
    }
}

impl State {
    /// Shuts down the connection that has waited longest on its client
    /// and closes the table's clone of its socket; false if none waits.
    fn close_longest_waiting(&mut self) -> bool {
        let longest_waiting = self
            .open
            .iter()
            .filter_map(|(id, entry)| entry.state.waiting_since().map(|since| (since, *id)))
            .min()
            .map(|(_, id)| id);
        longest_waiting.is_some_and(|id| self.close(id))
    }

    /// Shuts connection `id` down, which wakes its worker, and closes the
    /// table's clone of its socket; the connection is closing until its
    /// worker lets go of it.
    fn close(&mut self, id: u64) -> bool {
        let Some(closed) = self.open.remove(&id) else {
            return false;
        };
        let _ = closed.stream.shutdown(Shutdown::Both);
        self.closing.insert(id);
        true // The clone is dropped, and its descriptor closed, here.
    }
}

/// A connection's place in the table; dropping it frees the place.
pub struct Registration {
    table: Arc<ConnectionTable>,
    id: u64,
}

impl Registration {
    /// The connection now waits for a request and may be closed to make
    /// room for a new one, or by a graceful stop.
    pub fn idle(&self) {
        self.table.set_state(self.id, ConnectionState::Idle(Instant::now()));
    }

    /// The connection now waits for its client to take a response, and
    /// may be closed to make room for a new one.
    pub fn writing(&self) {
        self.table.set_state(self.id, ConnectionState::Writing(Instant::now()));
    }

    /// The connection is answering a request and will not be closed.
    pub fn busy(&self) {
        self.table.set_state(self.id, ConnectionState::Busy);
    }
}

impl Drop for Registration {
    /// Dropped once the worker has let go of the socket, so a closing
    /// connection's descriptors are free by now.
    fn drop(&mut self) {
        let mut state = self.table.lock();
        if state.open.remove(&self.id).is_none() && state.closing.remove(&self.id) {
            self.table.let_go.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    /// A connected pair of sockets on loopback: (client, server side).
    fn pair(listener: &TcpListener) -> (TcpStream, TcpStream) {
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, server)
    }

    fn admitted(admission: Admission) -> Registration {
        match admission {
            Admission::Admitted(registration) => registration,
            Admission::Full => panic!("expected the connection to be admitted"),
        }
    }

    #[test]
    fn evicts_the_longest_waiting_connection_at_the_cap() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let table = Arc::new(ConnectionTable::new(2));
        let (_client_a, server_a) = pair(&listener);
        let (_client_b, server_b) = pair(&listener);
        let (_client_c, server_c) = pair(&listener);
        let _a = admitted(table.admit(&server_a).unwrap());
        let b = admitted(table.admit(&server_b).unwrap());
        b.idle(); // b waits from now, a from earlier: a goes first.
        let _c = admitted(table.admit(&server_c).unwrap());
        assert_eq!(table.len(), 2);
        // The evicted socket reads end-of-file at once; one left open
        // would time out rather than hang the test.
        server_a.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        let mut byte = [0u8; 1];
        assert_eq!((&server_a).read(&mut byte).unwrap(), 0);
    }

    #[test]
    fn refuses_when_every_connection_is_busy() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let table = Arc::new(ConnectionTable::new(1));
        let (_client_a, server_a) = pair(&listener);
        let (_client_b, server_b) = pair(&listener);
        let a = admitted(table.admit(&server_a).unwrap());
        a.busy();
        assert!(matches!(table.admit(&server_b).unwrap(), Admission::Full));
        drop(a);
        assert!(table.is_empty());
        assert!(matches!(table.admit(&server_b).unwrap(), Admission::Admitted(_)));
    }

    #[test]
    fn making_room_closes_the_longest_waiting_connection_but_never_a_busy_one() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let table = Arc::new(ConnectionTable::new(4));
        let (_client_a, server_a) = pair(&listener);
        let (_client_b, server_b) = pair(&listener);
        let busy = admitted(table.admit(&server_a).unwrap());
        busy.busy();
        let idle = admitted(table.admit(&server_b).unwrap());
        // Its worker lets go of it as soon as its read returns.
        let worker = std::thread::spawn(move || {
            server_b.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let read = (&server_b).read(&mut [0u8; 1]).unwrap();
            drop(server_b);
            drop(idle);
            read
        });
        assert!(table.make_room(), "the idle connection is closed");
        assert_eq!(table.len(), 1);
        assert_eq!(worker.join().unwrap(), 0, "its worker read end-of-file");
        assert!(!table.make_room(), "the busy one is not closed");
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn making_room_waits_for_a_closing_connection_rather_than_close_another() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let table = Arc::new(ConnectionTable::new(4));
        let (_client_a, server_a) = pair(&listener);
        let (_client_b, server_b) = pair(&listener);
        let first = admitted(table.admit(&server_a).unwrap());
        let _second = admitted(table.admit(&server_b).unwrap());
        // The first is closed, and its worker (this test) does not let go
        // of it: making room again waits for it, not closing the second.
        assert!(table.make_room());
        assert_eq!(table.len(), 1);
        assert!(table.make_room());
        assert_eq!(table.len(), 1, "the second connection was closed too");
        // Once the first is let go, room is made by closing the second.
        drop(first);
        assert!(table.make_room());
        assert!(table.is_empty());
    }

    #[test]
    fn a_graceful_stop_closes_only_the_idle_connections() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let table = Arc::new(ConnectionTable::new(4));
        let (_client_a, server_a) = pair(&listener);
        let (_client_b, server_b) = pair(&listener);
        let (_client_c, server_c) = pair(&listener);
        let _idle = admitted(table.admit(&server_a).unwrap());
        let busy = admitted(table.admit(&server_b).unwrap());
        busy.busy();
        let writing = admitted(table.admit(&server_c).unwrap());
        writing.writing();
        table.close_idle();
        assert_eq!(table.len(), 2, "the busy and the writing connection stay");
        server_a.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        assert_eq!((&server_a).read(&mut [0u8; 1]).unwrap(), 0, "the idle one is closed");
    }
}
