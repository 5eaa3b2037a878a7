//! The one error type of the application core. Every front door translates it: the web into a
//! German page with its status, the API into problem+json, the command line into a message.

/// One problem of an invalid command, at a field (empty: the command as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl Problem {
    /// A problem at one field (the command's field name, the API's JSON field).
    pub fn at(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// A problem of the command as a whole.
    pub fn whole(message: impl Into<String>) -> Self {
        Self {
            field: String::new(),
            message: message.into(),
        }
    }
}

/// Why a command conflicts with what is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// Someone changed it since the person read it (a stale revision): show theirs and keep what
    /// was typed.
    Stale,
    /// It is signed or published and no longer changes.
    Frozen,
    /// It exists already, or is not in the state the command needs.
    State,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// It does not exist, or the person may not know that it does (another Jobcenter's
    /// object): the same answer either way.
    #[error("{0}")]
    NotFound(String),
    /// The person may see it but not do this.
    #[error("{0}")]
    Forbidden(String),
    /// Someone else changed it in between, or it is frozen, or it exists already: nothing was
    /// written.
    #[error("{message}")]
    Conflict { message: String, kind: ConflictKind },
    /// The command is not valid; nothing was written.
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
    /// The database is held by other writers; nothing was written, trying again succeeds.
    #[error("{0}")]
    Busy(String),
    /// Something failed that the person cannot act on; the detail is for the log.
    #[error("interner Fehler: {0}")]
    Internal(String),
}

impl AppError {
    /// A command invalid as a whole, with one message.
    pub fn invalid(message: impl Into<String>) -> Self {
        AppError::Invalid(vec![Problem::whole(message)])
    }
}

impl From<zielwerk_store::StoreError> for AppError {
    fn from(e: zielwerk_store::StoreError) -> Self {
        use zielwerk_store::StoreError as S;
        let conflict = |kind| AppError::Conflict {
            message: e.to_string(),
            kind,
        };
        match &e {
            S::Conflict { .. } => conflict(ConflictKind::Stale),
            S::Published(_) | S::SignedAgreement(_) => conflict(ConflictKind::Frozen),
            S::Exists(_) | S::NotSigned(_) => conflict(ConflictKind::State),
            S::NotFound(_) => AppError::NotFound(e.to_string()),
            S::Busy(source) => {
                tracing::warn!(error = %source, "database busy");
                AppError::Busy(format!("{e}."))
            }
            _ => {
                // The whole chain for the log; the person reads only that something failed.
                let mut detail = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    detail.push_str(": ");
                    detail.push_str(&s.to_string());
                    source = s.source();
                }
                AppError::Internal(detail)
            }
        }
    }
}
