//! The send path: the per-connection scheduler that fills the output buffer with
//! pending responses/REPORTs and chunks of queued messages.

use super::{Endpoint, MIN_ROOM, OpenChunk, OutSlot, Splice, Tx};
use crate::wire::encode::{HeadWriter, write_end_line};
use crate::wire::headers::{ByteRange, FailureReport, SuccessReport};
use crate::wire::{Flag, Method, TransactionId};

/// Largest chunk written with an exact range-end (R4975-107).
const NON_INTERRUPTIBLE_MAX: u64 = 2048;
/// Body bytes an open chunk carries before a response or REPORT may interrupt it (fewer
/// when the chunk size is smaller): bounds how long control traffic waits behind a chunk
/// while guaranteeing every chunk makes progress.
const MIN_CHUNK_PROGRESS: u64 = 1024;

/// How many bytes of `piece` can follow `tail` (the chunk's last bytes) without the
/// body containing `needle` (`-------<tid>`, R4975-082): the offset in `piece` where the
/// first occurrence starts (clamped to 0 if it starts inside `tail`), or `piece.len()`.
fn safe_prefix(tail: &[u8], piece: &[u8], needle: &[u8]) -> usize {
    let mut best = memchr::memmem::find(piece, needle).unwrap_or(piece.len());
    let k = needle.len() - 1;
    let mut join = [0u8; 160];
    let t = tail.len().min(k);
    let p = piece.len().min(k);
    join[..t].copy_from_slice(&tail[tail.len() - t..]);
    join[t..t + p].copy_from_slice(&piece[..p]);
    if let Some(m) = memchr::memmem::find(&join[..t + p], needle) {
        best = best.min(m.saturating_sub(t));
    }
    best
}

fn needle_of(tid: &TransactionId, buf: &mut [u8; 80]) -> usize {
    buf[..7].copy_from_slice(b"-------");
    let t = tid.as_str().as_bytes();
    buf[7..7 + t.len()].copy_from_slice(t);
    7 + t.len()
}

impl Endpoint {
    /// Refills the (empty) output buffer of connection `ci`, taking a buffer for it
    /// only while there is something to write.
    pub(super) fn fill(&mut self, ci: usize) {
        let cap = self.send_buffer_capacity();
        let spare = &mut self.spare_out;
        let Some(c) = self.conns.get_mut(ci).and_then(Option::as_mut) else {
            return;
        };
        if c.out.capacity() == 0 {
            c.out = spare.pop().unwrap_or_else(|| Vec::with_capacity(cap));
        }
        self.fill_buffer(ci);
        self.park_output(ci);
    }

    fn fill_buffer(&mut self, ci: usize) {
        let cap = self.cfg.send_buffer.max(2 * MIN_ROOM);
        let chunk_size = self.cfg.chunk_size.max(1) as u64;
        let in_place_min = self.cfg.send_in_place_min.max(1);
        loop {
            let Some(c) = self.conns[ci].as_mut() else {
                return;
            };
            // 1. Responses and REPORTs first, interrupting an open chunk (R4975-112),
            //    once that chunk has carried some body: a chunk cut right after its head
            //    makes no progress, and two peers whose every chunk draws a response
            //    would restart the same Byte-Range forever (found by the engine fuzzer).
            let (owed, finished) = match c.open.as_deref().copied() {
                Some(open) if !c.ctrl.is_empty() => self.progress_owed(&open, chunk_size),
                _ => (0, false),
            };
            let c = self.conns[ci].as_mut().expect("live");
            if !c.ctrl.is_empty() && owed == 0 {
                if let Some(open) = c.open.as_deref().copied() {
                    // A chunk whose message has no byte left ends the message (`$`)
                    // rather than being continued by an empty chunk.
                    if finished {
                        self.end_chunk(ci, Flag::End);
                    } else {
                        self.end_chunk(ci, Flag::More);
                        self.requeue_front(ci, open.slot);
                    }
                    continue;
                }
                let base = c.out_end(&self.outs);
                for t in c.open_in.iter_mut().filter(|t| !t.in_out) {
                    t.end += base;
                    t.in_out = true;
                }
                c.out.extend_from_slice(&c.ctrl);
                c.ctrl.clear();
                continue;
            }
            // A splice counts: the buffer bounds what is queued, copied or not.
            let queued = c.out.len() + c.splice(&self.outs).map_or(0, |(_, s)| s.len as usize);
            if queued + MIN_ROOM > cap {
                return;
            }
            let room = cap - queued - MIN_ROOM / 2;
            // 2. Continue the open chunk.
            if let Some(open) = c.open.as_deref().copied() {
                let slot = open.slot as usize;
                let alive = self.outs[slot]
                    .msg
                    .as_ref()
                    .is_some_and(|m| m.id == open.message);
                if !alive {
                    self.end_chunk(ci, Flag::Abort);
                    continue;
                }
                let others_waiting = !c.queue.is_empty();
                let OutSlot {
                    msg,
                    staging,
                    splice,
                    ..
                } = &mut self.outs[slot];
                let m = msg.as_mut().expect("alive");
                let avail: &[u8] = match &m.whole {
                    Some(b) => &b[m.sent as usize..],
                    None => &staging[m.staged_pos..],
                };
                if avail.is_empty() {
                    if m.body_given() {
                        self.end_chunk(ci, Flag::End);
                        continue;
                    }
                    // Pulled body not ready: ask, and let others go meanwhile.
                    if others_waiting {
                        self.end_chunk(ci, Flag::More);
                        let c = self.conns[ci].as_mut().expect("live");
                        c.queue.push_back(open.slot);
                        if let Some(m) = self.outs[slot].msg.as_mut() {
                            m.queued = true;
                        }
                        self.want_body(open.slot);
                        continue;
                    }
                    self.want_body(open.slot);
                    return;
                }
                // Past `chunk_size` with nobody else waiting the chunk stays open
                // (R4975-108): no budget then, or it would continue one byte at a time.
                let budget = if owed > 0 {
                    owed
                } else if others_waiting {
                    chunk_size.saturating_sub(open.written) as usize
                } else {
                    usize::MAX
                };
                let cap = self.cfg.max_send_chunk_body.map_or(usize::MAX, |l| {
                    (l.max(1) as u64).saturating_sub(open.written) as usize
                });
                let limit = avail.len().min(budget.max(1)).min(cap.max(1));
                // A large pulled piece is written in place (it does not take room in the
                // output buffer); anything else is copied, as far as the room goes.
                let may_splice = m.whole.is_none()
                    && c.spliced.is_none()
                    && limit >= in_place_min
                    && u32::try_from(m.staged_pos + limit).is_ok()
                    && u32::try_from(c.out.len()).is_ok();
                let n = if may_splice { limit } else { limit.min(room) };
                let mut nb = [0u8; 80];
                let nl = needle_of(&open.tid, &mut nb);
                let safe =
                    safe_prefix(&open.tail[..open.tail_len as usize], &avail[..n], &nb[..nl]);
                // In place unless a collision comes early in the piece: then it is copied
                // up to there, as far as the room goes.
                let in_place = may_splice && safe >= in_place_min;
                let n = if in_place { n } else { n.min(room) };
                let safe = safe.min(n);
                let piece = &avail[..safe];
                if in_place {
                    // Both fit in u32 (checked above).
                    *splice = Some(Splice {
                        at: c.out.len() as u32,
                        start: m.staged_pos as u32,
                        len: safe as u32,
                        sent: 0,
                    });
                    c.spliced = Some(slot as u32);
                } else {
                    c.out.extend_from_slice(piece);
                }
                // Keep the last needle-1 bytes as the tail for the next scan.
                let mut tail = [0u8; 80];
                let keep = nl - 1;
                let old = &open.tail[..open.tail_len as usize];
                let total_len = old.len() + piece.len();
                let tl = total_len.min(keep);
                // Compose tail from old tail + piece.
                let from_piece = piece.len().min(tl);
                let from_old = tl - from_piece;
                tail[..from_old].copy_from_slice(&old[old.len() - from_old..]);
                tail[from_old..tl].copy_from_slice(&piece[piece.len() - from_piece..]);
                m.sent += safe as u64;
                if m.whole.is_none() {
                    m.staged_pos += safe;
                }
                let open = c.open.as_mut().expect("open");
                open.written += safe as u64;
                open.tail = tail;
                open.tail_len = tl as u8;
                let written = open.written;
                // The one place a pulled piece drains: the next one moves in now, so
                // "nothing ready" always means nothing given (the interruption check,
                // `$`, the queue all look only at the current piece).
                self.promote(slot);
                if safe < n {
                    // Collision: cut here, continue under a new tid (R4975-083).
                    self.end_chunk(ci, Flag::More);
                    self.requeue_front(ci, slot as u32);
                    continue;
                }
                if self
                    .cfg
                    .max_send_chunk_body
                    .is_some_and(|l| written >= l.max(1) as u64)
                {
                    // The hard cap: end here whatever else waits; the rest follows in
                    // the next chunk.
                    self.end_chunk(ci, Flag::More);
                    self.requeue_front(ci, slot as u32);
                    continue;
                }
                if written >= chunk_size && others_waiting {
                    self.end_chunk(ci, Flag::More);
                    self.requeue_back(ci, slot as u32);
                    continue;
                }
                if written >= chunk_size {
                    // Nobody else is waiting: keep the chunk open (R4975-108) unless the
                    // body is finished, which the next round handles.
                }
                continue;
            }
            // 3. Open a chunk for the next ready message.
            if c.tx_count >= c.tx_max {
                return; // too many outstanding transactions: wait for responses
            }
            let mut picked = None;
            for _ in 0..c.queue.len() {
                let Some(slot) = c.queue.pop_front() else {
                    break;
                };
                let OutSlot { msg, staging, .. } = &mut self.outs[slot as usize];
                let Some(m) = msg.as_mut() else { continue };
                let ready = m.staged_pos < staging.len() || m.body_given();
                if ready {
                    m.queued = false;
                    picked = Some(slot);
                    break;
                }
                c.queue.push_back(slot);
            }
            let Some(slot) = picked else { return };
            self.open_chunk(ci, slot, room);
        }
    }

    /// How many body bytes the open chunk must still carry before a response or REPORT
    /// may interrupt it: up to [`MIN_CHUNK_PROGRESS`] (or the chunk size, if smaller) of
    /// body that is available now. 0 when the chunk has carried that much, or when no body
    /// is ready (a pulled body the application has not supplied never holds up control
    /// traffic). Also tells whether the message's body is completely written, so the
    /// chunk can end it.
    fn progress_owed(&self, open: &OpenChunk, chunk_size: u64) -> (usize, bool) {
        let OutSlot { msg, staging, .. } = &self.outs[open.slot as usize];
        let Some(m) = msg.as_ref().filter(|m| m.id == open.message) else {
            return (0, false);
        };
        let avail = match &m.whole {
            Some(b) => b.len() - m.sent as usize,
            None => staging.len() - m.staged_pos,
        };
        let finished = avail == 0 && m.body_given();
        let floor = chunk_size.min(MIN_CHUNK_PROGRESS);
        let owed = floor.saturating_sub(open.written);
        (avail.min(owed as usize), finished)
    }

    fn requeue_back(&mut self, ci: usize, slot: u32) {
        if let Some(m) = self.outs[slot as usize].msg.as_mut()
            && !m.written_all
            && !m.queued
        {
            m.queued = true;
            self.conns[ci].as_mut().expect("live").queue.push_back(slot);
        }
    }

    fn requeue_front(&mut self, ci: usize, slot: u32) {
        if let Some(m) = self.outs[slot as usize].msg.as_mut()
            && !m.written_all
            && !m.queued
        {
            m.queued = true;
            self.conns[ci]
                .as_mut()
                .expect("live")
                .queue
                .push_front(slot);
        }
    }

    /// Writes a chunk head for message `slot` (or the whole bodiless SEND).
    fn open_chunk(&mut self, ci: usize, slot: u32, room: usize) {
        let OutSlot { msg, staging, .. } = &mut self.outs[slot as usize];
        let Some(m) = msg.as_mut() else { return };
        let Some(s) = self.sessions[m.session as usize].as_ref() else {
            return;
        };
        let c = self.conns[ci].as_mut().expect("live");
        let rest: &[u8] = match &m.whole {
            Some(b) => &b[m.sent as usize..],
            None => &staging[m.staged_pos..],
        };
        // Exact range-end only when the whole rest goes out now and is small (R4975-107).
        let exact = m.eof || m.whole.is_some();
        let exact = exact
            && m.total == Some(m.sent + rest.len() as u64)
            && rest.len() as u64 <= NON_INTERRUPTIBLE_MAX
            && self.cfg.max_send_chunk_body.is_none_or(|l| rest.len() <= l)
            && rest.len() + MIN_ROOM < room;
        let tid = if exact {
            TransactionId::generate_avoiding(&mut *self.rng, rest)
        } else {
            TransactionId::generate(&mut *self.rng)
        };
        let start = m.sent + 1;
        let range = ByteRange {
            start,
            end: if exact {
                Some(m.sent + rest.len() as u64)
            } else {
                None
            },
            total: m.total,
        };
        let mut w = HeadWriter::request(
            &mut c.out,
            tid.as_str(),
            Method::Send,
            s.remote.iter().map(|u| u.as_ref()),
            [s.local.as_ref()],
        );
        w.message_id(m.id.as_str()).byte_range(range);
        if m.success_report == SuccessReport::Yes {
            w.success_report(SuccessReport::Yes);
        }
        if m.failure_report != FailureReport::Yes {
            w.failure_report(m.failure_report);
        }
        let bodiless = match &m.content_type {
            None => {
                w.finish_bodiless(Flag::End);
                true
            }
            Some(ct) => {
                w.finish_with_body(ct);
                false
            }
        };
        c.open = Some(super::pooled(
            &mut self.spare_open,
            OpenChunk {
                slot,
                message: m.id,
                tid,
                written: 0,
                tail: [0; 80],
                tail_len: 0,
            },
        ));
        if bodiless {
            self.record_tx(ci, Flag::End, false);
            return;
        }
        if exact {
            c.out.extend_from_slice(rest);
            let n = rest.len();
            m.sent += n as u64;
            if m.whole.is_none() {
                m.staged_pos += n;
            }
            self.end_chunk(ci, Flag::End);
        }
    }

    /// Ends the open chunk with `flag` and records its transaction.
    fn end_chunk(&mut self, ci: usize, flag: Flag) {
        let c = self.conns[ci].as_mut().expect("live");
        let Some(open) = c.open.as_deref().copied() else {
            return;
        };
        write_end_line(&mut c.out, open.tid.as_str(), flag, true);
        self.record_tx(ci, flag, true);
    }

    /// Closes the open chunk's bookkeeping after its end-line has been written.
    fn record_tx(&mut self, ci: usize, flag: Flag, _body: bool) {
        let c = self.conns[ci].as_mut().expect("live");
        let Some(boxed) = c.open.take() else { return };
        let open = *boxed;
        let end_pos = c.out_end(&self.outs);
        if self.spare_open.len() < super::SPARE_BUFFERS {
            self.spare_open.push(boxed);
        }
        let slot = open.slot as usize;
        let Some(m) = self.outs[slot]
            .msg
            .as_mut()
            .filter(|m| m.id == open.message)
        else {
            return; // aborted: `#` written, nothing to track
        };
        if flag == Flag::Abort {
            return;
        }
        let last = flag == Flag::End;
        if last {
            m.written_all = true;
        }
        let expect = m.failure_report == FailureReport::Yes;
        if expect {
            m.open_tx += 1;
        }
        let tx = Tx {
            tid: open.tid,
            slot: open.slot,
            session: m.session,
            message: open.message,
            end_pos,
            flushed: false,
            expect_response: expect,
            keep: m.failure_report == FailureReport::Partial,
            lingering: false,
            last_chunk: last,
            deadline: None,
        };
        if c.txs.capacity() == 0
            && let Some(v) = self.spare_txs.pop()
        {
            c.txs = v;
        }
        if let Some(free) = c.free_tx_entry() {
            c.txs[free] = Some(tx);
            c.tx_count += 1;
        }
        if !last {
            self.want_body(open.slot);
        }
    }
}
