use super::*;

fn delivery(at: i64, outcome: &str) -> Delivery {
    Delivery {
        project: 1,
        action: "ANNOTATION_CREATED".into(),
        received_at: at,
        outcome: outcome.into(),
        detail: Some("1 event(s), 1 new".into()),
    }
}

fn facts(last: Option<&Delivery>) -> HookFacts<'_> {
    HookFacts {
        configured: true,
        reachable: true,
        registered: Some(true),
        active: Some(true),
        last,
        down_at: None,
        missed: 0,
    }
}

#[test]
fn a_delivery_after_an_outage_makes_it_healthy_again() {
    let before = delivery(1_000, OUTCOME_OK);
    assert_eq!(webhook_health(facts(Some(&before))).0, "healthy");
    // LS stops.
    let down = HookFacts {
        reachable: false,
        registered: None,
        active: None,
        down_at: Some(2_000),
        ..facts(Some(&before))
    };
    assert_eq!(webhook_health(down).0, "silent");
    // LS answers again, nothing delivered since.
    let back = HookFacts {
        down_at: Some(2_000),
        ..facts(Some(&before))
    };
    assert_eq!(webhook_health(back).0, "silent");
    // A delivery arrives.
    let after = delivery(3_000, OUTCOME_OK);
    let healthy = HookFacts {
        down_at: Some(2_000),
        ..facts(Some(&after))
    };
    assert_eq!(webhook_health(healthy).0, "healthy");
}

#[test]
fn other_verdicts() {
    assert_eq!(webhook_health(facts(None)).0, "waiting");
    let unconfigured = HookFacts {
        configured: false,
        ..facts(None)
    };
    assert_eq!(webhook_health(unconfigured).0, "off");
    let bad = delivery(1, "unauthorized");
    let (h, why) = webhook_health(facts(Some(&bad)));
    assert_eq!(h, "failing");
    assert!(why.contains("unauthorized"), "{why}");
    let gone = HookFacts {
        registered: Some(false),
        ..facts(None)
    };
    assert_eq!(webhook_health(gone).0, "missing");
    let off = HookFacts {
        active: Some(false),
        ..facts(None)
    };
    assert_eq!(webhook_health(off).0, "silent");
    let ok = delivery(1, OUTCOME_OK);
    let missed = HookFacts {
        missed: 2,
        ..facts(Some(&ok))
    };
    let (h, why) = webhook_health(missed);
    assert_eq!(h, "silent");
    assert!(why.contains("2 change(s)"), "{why}");
}
