//! Field checks shared by the actions. Every one refuses with `INVALID_INPUT`.

use ebl_ledger::ErrorCode;

use crate::Fail;

/// Text that is 1..=`max` characters and, as DCSA's `^\S(?:.*\S)?$` asks, neither starts nor
/// ends with white space and holds no control character.
pub fn text(value: &str, max_chars: usize) -> Result<(), Fail> {
    let chars = value.chars().count();
    let trimmed = value.trim() == value;
    if chars == 0 || chars > max_chars || !trimmed || value.chars().any(char::is_control) {
        return Err(Fail::Refused(ErrorCode::InvalidInput));
    }
    Ok(())
}

/// Optional text: absent, or valid [`text`].
pub fn optional_text(value: Option<&str>, max_chars: usize) -> Result<(), Fail> {
    value.map_or(Ok(()), |v| text(v, max_chars))
}

/// Free text that may be empty (remarks, damage notes).
pub fn remark(value: &str, max_chars: usize) -> Result<(), Fail> {
    if value.chars().count() > max_chars || value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Fail::Refused(ErrorCode::InvalidInput));
    }
    Ok(())
}

/// Upper-case ASCII letters and digits of exactly `len` characters (LEI: 20, USCC: 18).
pub fn code_of_len(value: &str, len: usize) -> Result<(), Fail> {
    if value.len() != len || !value.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
        return Err(Fail::Refused(ErrorCode::InvalidInput));
    }
    Ok(())
}

/// ISO 4217 currency code: three upper-case letters.
pub fn currency(value: &str) -> Result<(), Fail> {
    if value.len() != 3 || !value.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Fail::Refused(ErrorCode::InvalidInput));
    }
    Ok(())
}

/// True when every item appears once.
pub fn distinct<T: Ord>(items: &[T]) -> bool {
    let set: std::collections::BTreeSet<&T> = items.iter().collect();
    set.len() == items.len()
}

/// Refuses with `INVALID_INPUT` unless `ok`.
pub fn ensure(ok: bool) -> Result<(), Fail> {
    if ok {
        Ok(())
    } else {
        Err(Fail::Refused(ErrorCode::InvalidInput))
    }
}
