//! Several speech chunks in flight within one transcription: how many decoding streams run,
//! how the chunks are shared among them, and running the streams on scoped threads.
//!
//! Each stream is one whisper.cpp state with its own ggml threads. On few cores, two 1-thread
//! states beat one 2-thread state: the decoder's one-token matrix-vector products scale poorly
//! across threads, and ggml's threads spin at a barrier after every operation, which costs most
//! when a virtual CPU is taken away (docs/benchmarks.md, Whisper).
//!
//! Chunks are assigned to streams before decoding, by their speech, rather than handed out as
//! streams free up: each state carries whisper.cpp's sampling generator (used by the
//! temperature fallback) from chunk to chunk, so a fixed assignment keeps a transcript the same
//! from run to run.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::vad::Span;

/// Streams used when the settings leave it to PPI: at most this many states (each holds about
/// 230 MB for `base`).
pub const AUTO_MAX: usize = 2;

/// How many streams and threads each, from a transcription's threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub streams: usize,
    pub threads: usize,
}

impl Plan {
    /// `streams` given (`Some`) or automatic: one per thread up to [`AUTO_MAX`] on the CPU, one
    /// on a GPU (whose state already runs the whole chunk at once). Threads are shared evenly,
    /// at least one each.
    pub fn new(threads: usize, streams: Option<usize>, gpu: bool) -> Plan {
        let threads = threads.max(1);
        let streams = match streams {
            Some(n) => n.clamp(1, threads),
            None if gpu => 1,
            None => threads.min(AUTO_MAX),
        };
        Plan {
            streams,
            threads: (threads / streams).max(1),
        }
    }
}

/// The stream of each chunk: in the chunks' order, each goes to the stream with the least
/// speech so far (the first such stream on a tie). Streams then take turns through the lesson,
/// so a long stretch of harder speech (another language, a noisy part) is shared among them.
pub fn assign(chunks: &[Span], streams: usize) -> Vec<usize> {
    let mut load = vec![0.0f64; streams.max(1)];
    chunks
        .iter()
        .map(|c| {
            let s = (0..load.len())
                .min_by(|&a, &b| load[a].total_cmp(&load[b]))
                .unwrap_or(0);
            load[s] += c.duration();
            s
        })
        .collect()
}

/// Runs `decode` over every chunk, each stream of [`assign`] on its own thread with its own
/// state, and returns the results in the chunks' order. After the first error the other
/// streams stop at their next chunk and that error is returned.
pub fn run<S: Send, T: Send, E: Send>(
    chunks: &[Span],
    states: &mut [S],
    decode: impl Fn(&mut S, usize) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E> {
    let owner = assign(chunks, states.len());
    let stop = AtomicBool::new(false);
    let (decode, stop, owner) = (&decode, &stop, &owner);
    let stream = move |state: &mut S, me: usize| -> Result<Vec<(usize, T)>, E> {
        let mut out = Vec::new();
        for i in (0..owner.len()).filter(|&i| owner[i] == me) {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            match decode(state, i) {
                Ok(t) => out.push((i, t)),
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            }
        }
        Ok(out)
    };
    let results: Vec<Result<Vec<(usize, T)>, E>> = std::thread::scope(|scope| {
        let mut states = states.iter_mut().enumerate();
        let first = states.next();
        let handles: Vec<_> = states
            .map(|(me, state)| scope.spawn(move || stream(state, me)))
            .collect();
        // The first stream decodes on the calling thread.
        let mut results = vec![first.map_or_else(|| Ok(Vec::new()), |(me, s)| stream(s, me))];
        results.extend(handles.into_iter().map(|h| match h.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }));
        results
    });
    let mut out = Vec::with_capacity(chunks.len());
    for r in results {
        out.extend(r?);
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, t)| t).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(lengths: &[f64]) -> Vec<Span> {
        let mut t = 0.0;
        lengths
            .iter()
            .map(|l| {
                let s = Span {
                    start: t,
                    end: t + l,
                };
                t += l + 1.0;
                s
            })
            .collect()
    }

    #[test]
    fn plans_one_thread_per_stream_up_to_the_cap() {
        assert_eq!(
            Plan::new(2, None, false),
            Plan {
                streams: 2,
                threads: 1
            }
        );
        assert_eq!(
            Plan::new(1, None, false),
            Plan {
                streams: 1,
                threads: 1
            }
        );
        assert_eq!(
            Plan::new(8, None, false),
            Plan {
                streams: 2,
                threads: 4
            }
        );
        assert_eq!(
            Plan::new(8, None, true),
            Plan {
                streams: 1,
                threads: 8
            }
        );
        assert_eq!(
            Plan::new(3, Some(4), false),
            Plan {
                streams: 3,
                threads: 1
            }
        );
        assert_eq!(
            Plan::new(4, Some(1), false),
            Plan {
                streams: 1,
                threads: 4
            }
        );
    }

    #[test]
    fn assigns_each_chunk_to_the_least_loaded_stream_in_turn() {
        assert_eq!(
            assign(&spans(&[10.0, 10.0, 20.0, 5.0]), 2),
            vec![0, 1, 0, 1]
        );
        // A long first chunk leaves the next ones to the other stream.
        assert_eq!(assign(&spans(&[28.0, 5.0, 5.0, 5.0]), 2), vec![0, 1, 1, 1]);
        assert_eq!(assign(&spans(&[5.0, 5.0]), 4), vec![0, 1]);
        assert_eq!(assign(&spans(&[5.0, 5.0, 5.0]), 1), vec![0, 0, 0]);
        assert!(assign(&[], 2).is_empty());
    }

    #[test]
    fn runs_every_chunk_once_in_order_and_stops_at_an_error() {
        let c = spans(&[5.0, 6.0, 7.0, 8.0, 9.0]);
        let mut states = vec![Vec::new(), Vec::new()];
        let out = run(&c, &mut states, |seen: &mut Vec<usize>, i| {
            seen.push(i);
            Ok::<_, String>(i * 10)
        })
        .unwrap();
        assert_eq!(out, vec![0, 10, 20, 30, 40]);
        // Each state saw its chunks in order: 5 | 6 | 7 (to the lighter first) | 8 | 9.
        assert_eq!(states[0], vec![0, 2, 4]);
        assert_eq!(states[1], vec![1, 3]);
        let err = run(&c, &mut [(), ()], |_, i| {
            if i == 3 {
                Err(format!("chunk {i}"))
            } else {
                Ok(i)
            }
        });
        assert_eq!(err, Err("chunk 3".to_owned()));
    }
}
