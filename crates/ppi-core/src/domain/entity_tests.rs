use super::*;

#[test]
fn ids_are_well_formed_sortable_and_validated() {
    let a = EntityId::new();
    std::thread::sleep(std::time::Duration::from_millis(2));
    let b = EntityId::new();
    assert_eq!(a.as_str().len(), 26);
    assert!(a < b, "time-sortable");
    assert_eq!(EntityId::parse(a.as_str()), Some(a.clone()));
    for bad in [
        "",
        "../../etc/passwd",
        "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "0123456789abcdefghjkmnpqrs/",
        "il0123456789abcdefghjkmnpq",
    ] {
        assert!(EntityId::parse(bad).is_none(), "{bad}");
    }
}

#[test]
fn usernames_are_lower_case_and_safe() {
    assert_eq!(Username::parse(" Ivan.P ").unwrap().as_str(), "ivan.p");
    for bad in ["", "../x", "a/b", ".hidden", "-x", "имя", &"x".repeat(65)] {
        assert!(Username::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn roles_round_trip() {
    assert_eq!(Role::parse("DL-user"), Some(Role::DlUser));
    assert_eq!(Role::parse("admin").unwrap().to_string(), "admin");
    assert_eq!(serde_json::to_string(&Role::DlUser).unwrap(), "\"DL-user\"");
    assert!(Role::parse("root").is_none());
}
