//! The error answers that many endpoints share, for their OpenAPI descriptions: one
//! type each, listed in an endpoint's `responses(...)` instead of a copied line. Each
//! is an RFC 9457 `Problem`.

use mediconnect_shared::Problem;
use utoipa::IntoResponses;

macro_rules! problem_response {
    ($(#[$doc:meta])* $name:ident, $status:literal, $description:literal) => {
        $(#[$doc])*
        #[derive(IntoResponses)]
        #[response(
            status = $status,
            description = $description,
            content_type = "application/problem+json"
        )]
        #[allow(dead_code)]
        pub struct $name(Problem);
    };
}

problem_response!(
    /// 400: the body is not the JSON the endpoint reads.
    MalformedJson, 400, "Malformed JSON"
);
problem_response!(
    /// 400: a query parameter out of range or malformed.
    BadParameter, 400, "A bad parameter"
);
problem_response!(
    /// 401: no valid access token.
    NotSignedIn, 401, "Not signed in"
);
problem_response!(
    /// 403: signed in, but not as an admin.
    NotAnAdmin, 403, "Not an admin"
);
problem_response!(
    /// 403: signed in, but not as a doctor.
    NotADoctor, 403, "Not a doctor"
);
problem_response!(
    /// 403: signed in, but not as a patient.
    NotAPatient, 403, "Not a patient"
);
problem_response!(
    /// 404: no active doctor has this id.
    NoSuchDoctor, 404, "No such doctor"
);
problem_response!(
    /// 404: no appointment of the caller has this id (another's answers the same).
    NoSuchAppointment, 404, "No such appointment of the caller"
);
problem_response!(
    /// 404: no user has this id.
    NoSuchUser, 404, "No such user"
);
problem_response!(
    /// 404: no consult the caller is a party of (or, for admins, any) has this id.
    NoSuchConsult, 404, "No such consult of the caller's"
);
problem_response!(
    /// 409: the consult is not under way (not yet taken, or ended).
    ConsultNotActive, 409, "The consult is not under way (`consult-not-active`)"
);
problem_response!(
    /// 404: no waitlist offer of the caller has this id.
    NoSuchOffer, 404, "No such offer of the patient's"
);
problem_response!(
    /// 403: an admin, who has no appointments (nor a calendar feed).
    HasNoAppointments, 403, "An admin (who has no appointments)"
);
problem_response!(
    /// 422: a required field is missing.
    MissingFields, 422, "Missing fields"
);
problem_response!(
    /// 429: the auth limit of the client's address is spent.
    TooManyAttempts, 429, "Too many attempts from this client"
);
