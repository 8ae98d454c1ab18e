//! PPI's Silero VAD and GE2E encoder give what the reference implementations give on the same
//! audio: Silero's TorchScript model, and Resemblyzer's checkpoint in torch's LSTM on librosa's
//! mel frames (tests/speakers/reference.py, in the test venv).

use super::support;
use ppi_speakers::cluster::Window;
use ppi_speakers::{models, silero, Diarizer};

#[test]
fn silero_and_the_voice_encoder_match_their_reference_implementations() {
    let dir = support::scratch();
    let wav = dir.path().join("two-voices.wav");
    support::speech_wav(
        &wav,
        &[
            support::Phrase {
                at: 0.5,
                voice: "en-us+m1",
                text: "Who can tell me what a fraction is?",
            },
            support::Phrase {
                at: 4.0,
                voice: "en-us+f5",
                text: "It is a part of a whole.",
            },
        ],
        7.0,
    );
    let models = models::default_dir();
    let pcm: Vec<f32> = ppi_media::wav::read_samples(&wav)
        .unwrap()
        .into_iter()
        .map(|s| f32::from(s) / 32768.0)
        .collect();
    let vad = silero::Silero::load(&models).unwrap();
    let probs = vad.probabilities(&pcm);
    // Windows: a full 1.6-s window in each voice, a short one, and one across both.
    let windows = [(0.8, 2.4), (4.1, 5.7), (4.2, 4.9), (2.5, 4.6)];
    let diarizer = Diarizer::load(&models).unwrap();
    let ours = diarizer.embed_windows(
        &pcm,
        &windows
            .iter()
            .map(|&(start, end)| Window { start, end })
            .collect::<Vec<_>>(),
        2,
    );
    let fixtures = support::python()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("fixtures/speech");
    let out = support::python_run(
        &std::fs::read_to_string(support::workspace_root().join("tests/speakers/reference.py"))
            .unwrap(),
        &[
            wav.to_str().unwrap(),
            fixtures.to_str().unwrap(),
            &serde_json::to_string(&windows).unwrap(),
        ],
    );
    let reference: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ref_probs: Vec<f64> = serde_json::from_value(reference["probs"].clone()).unwrap();
    assert_eq!(probs.len(), ref_probs.len());
    let worst = probs
        .iter()
        .zip(&ref_probs)
        .map(|(a, b)| (f64::from(*a) - b).abs())
        .fold(0.0, f64::max);
    eprintln!(
        "silero: {} chunks, largest difference {worst:.2e}",
        probs.len()
    );
    assert!(worst < 1e-3, "Silero probabilities differ by {worst}");
    let ref_emb: Vec<Vec<f64>> = serde_json::from_value(reference["embeddings"].clone()).unwrap();
    for (i, (a, b)) in ours.iter().zip(&ref_emb).enumerate() {
        let cos: f64 = a.iter().zip(b).map(|(x, y)| f64::from(*x) * y).sum();
        eprintln!("window {:?}: cosine to the reference {cos:.6}", windows[i]);
        assert!(cos > 0.9999, "window {:?}: cosine {cos}", windows[i]);
    }
    // The two voices are told apart: each full window is nearer its own voice's short one.
    let sim = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    assert!(sim(&ours[1], &ours[2]) > sim(&ours[0], &ours[2]));
}
