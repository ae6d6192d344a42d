// The diesel schema of both backends. It has the form `diesel print-schema` gives, with
// the two portable types of `db::types` (UUID and UTC timestamp) in place of the native
// ones, since SQLite has neither. Keep it in step with migrations/*/ (the integration
// tests load every column of every table on both backends).

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    account_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        purpose -> Text,
        token_hash -> Text,
        created_at -> UtcTime,
        expires_at -> UtcTime,
        used_at -> Nullable<UtcTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    audit_log (id) {
        id -> Uuid,
        actor_id -> Nullable<Uuid>,
        actor_role -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Nullable<Uuid>,
        ip -> Nullable<Text>,
        at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    presence_intervals (id) {
        id -> Uuid,
        doctor_id -> Uuid,
        started_at -> UtcTime,
        ended_at -> Nullable<UtcTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    appointments (id) {
        id -> Uuid,
        doctor_id -> Uuid,
        patient_id -> Uuid,
        scheduled_for -> UtcTime,
        duration_minutes -> Integer,
        reason -> Nullable<Text>,
        status -> Text,
        created_at -> UtcTime,
        updated_at -> UtcTime,
        ends_at -> UtcTime,
        kind -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    appointment_events (id) {
        id -> Uuid,
        appointment_id -> Uuid,
        actor_id -> Nullable<Uuid>,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        from_time -> Nullable<UtcTime>,
        to_time -> Nullable<UtcTime>,
        created_at -> UtcTime,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    doctors (id) {
        id -> Uuid,
        user_id -> Uuid,
        specialization -> Text,
        is_online -> Bool,
        last_online -> Nullable<UtcTime>,
        specialization_folded -> Text,
        slot_minutes -> Integer,
        time_zone -> Text,
        approval_status -> Text,
        license_number -> Nullable<Text>,
        rejection_reason -> Nullable<Text>,
        daily_agenda -> Bool,
        agenda_day -> Nullable<Date>,
        accepting_consults -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    idempotency_keys (user_id, key) {
        user_id -> Uuid,
        key -> Text,
        request_hash -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        created_at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    notifications (id) {
        id -> Uuid,
        email -> Text,
        subject -> Text,
        content -> Text,
        sent -> Bool,
        sent_at -> Nullable<UtcTime>,
        created_at -> UtcTime,
        kind -> Text,
        user_id -> Nullable<Uuid>,
        doctor_id -> Nullable<Uuid>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> UtcTime,
        last_error -> Nullable<Text>,
        html -> Nullable<Text>,
        ics -> Nullable<Text>,
        unsubscribe_url -> Nullable<Text>,
        appointment_id -> Nullable<Uuid>,
        reminder_minutes -> Nullable<Integer>,
        expires_at -> Nullable<UtcTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    consults (id) {
        id -> Uuid,
        patient_id -> Uuid,
        doctor_id -> Uuid,
        reason -> Nullable<Text>,
        status -> Text,
        created_at -> UtcTime,
        started_at -> Nullable<UtcTime>,
        ended_at -> Nullable<UtcTime>,
        appointment_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    consult_messages (id) {
        id -> Uuid,
        consult_id -> Uuid,
        sender_id -> Nullable<Uuid>,
        from_role -> Text,
        body -> Text,
        created_at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    waitlist_entries (id) {
        id -> Uuid,
        patient_id -> Uuid,
        doctor_id -> Uuid,
        from_date -> Date,
        to_date -> Date,
        earlier_than -> Nullable<Uuid>,
        created_at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    waitlist_offers (id) {
        id -> Uuid,
        entry_id -> Uuid,
        doctor_id -> Uuid,
        patient_id -> Uuid,
        starts_at -> UtcTime,
        ends_at -> UtcTime,
        expires_at -> UtcTime,
        status -> Text,
        created_at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    calendar_feeds (user_id) {
        user_id -> Uuid,
        secret -> Text,
        created_at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    booking_rules (doctor_id) {
        doctor_id -> Uuid,
        min_notice_minutes -> Integer,
        cancel_cutoff_minutes -> Integer,
        horizon_days -> Integer,
        max_open_per_patient -> Integer,
        updated_at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    time_off (id) {
        id -> Uuid,
        doctor_id -> Uuid,
        starts_at -> UtcTime,
        ends_at -> UtcTime,
        time_zone -> Text,
        note -> Nullable<Text>,
        created_at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    invitations (id) {
        id -> Uuid,
        email -> Text,
        name -> Text,
        role -> Text,
        specialization -> Nullable<Text>,
        token_hash -> Text,
        invited_by -> Nullable<Uuid>,
        created_at -> UtcTime,
        expires_at -> UtcTime,
        accepted_at -> Nullable<UtcTime>,
        revoked_at -> Nullable<UtcTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    notification_jobs (id) {
        id -> Uuid,
        kind -> Text,
        doctor_id -> Uuid,
        cursor -> Nullable<Uuid>,
        status -> Text,
        created_at -> UtcTime,
        updated_at -> UtcTime,
        audience_version -> Nullable<BigInt>,
        since_version -> Nullable<BigInt>,
        start_floor -> Nullable<UtcTime>,
        earliest_alert_at -> Nullable<UtcTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    follows (patient_id, doctor_id) {
        patient_id -> Uuid,
        doctor_id -> Uuid,
        created_at -> UtcTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::Uuid;

    patients (id) {
        id -> Uuid,
        user_id -> Uuid,
        date_of_birth -> Nullable<Date>,
        phone_number -> Nullable<Text>,
        notify_doctor_online -> Text,
        alerts_version -> BigInt,
        appointment_reminders -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    alert_audience (id) {
        id -> Bool,
        version -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    presence_leases (user_id, replica_id) {
        user_id -> Uuid,
        replica_id -> Uuid,
        sockets -> Integer,
        updated_at -> UtcTime,
        clean_close -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    refresh_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        family_id -> Uuid,
        token_hash -> Text,
        created_at -> UtcTime,
        expires_at -> UtcTime,
        used_at -> Nullable<UtcTime>,
        revoked_at -> Nullable<UtcTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::Uuid;

    schedule_exceptions (id) {
        id -> Uuid,
        doctor_id -> Uuid,
        day -> Date,
        start_minute -> Nullable<Integer>,
        end_minute -> Nullable<Integer>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::{UtcTime, Uuid};

    users (id) {
        id -> Uuid,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        role -> Text,
        active -> Bool,
        created_at -> UtcTime,
        updated_at -> UtcTime,
        name_folded -> Text,
        sessions_revoked_at -> Nullable<UtcTime>,
        time_zone -> Text,
        email_verified_at -> Nullable<UtcTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::Uuid;

    working_hours (id) {
        id -> Uuid,
        doctor_id -> Uuid,
        weekday -> Integer,
        start_minute -> Integer,
        end_minute -> Integer,
    }
}

diesel::joinable!(account_tokens -> users (user_id));
diesel::joinable!(invitations -> users (invited_by));
diesel::joinable!(appointment_events -> appointments (appointment_id));
diesel::joinable!(appointment_events -> users (actor_id));
diesel::joinable!(appointments -> doctors (doctor_id));
diesel::joinable!(presence_intervals -> doctors (doctor_id));
diesel::joinable!(follows -> doctors (doctor_id));
diesel::joinable!(follows -> patients (patient_id));
diesel::joinable!(notification_jobs -> doctors (doctor_id));
diesel::joinable!(notifications -> users (user_id));
diesel::joinable!(appointments -> patients (patient_id));
diesel::joinable!(doctors -> users (user_id));
diesel::joinable!(patients -> users (user_id));
diesel::joinable!(presence_leases -> users (user_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(idempotency_keys -> users (user_id));
diesel::joinable!(schedule_exceptions -> doctors (doctor_id));
diesel::joinable!(working_hours -> doctors (doctor_id));
diesel::joinable!(booking_rules -> doctors (doctor_id));
diesel::joinable!(time_off -> doctors (doctor_id));
diesel::joinable!(calendar_feeds -> users (user_id));
diesel::joinable!(waitlist_entries -> doctors (doctor_id));
diesel::joinable!(consult_messages -> consults (consult_id));
diesel::joinable!(consults -> doctors (doctor_id));
diesel::joinable!(consults -> patients (patient_id));
diesel::joinable!(waitlist_offers -> waitlist_entries (entry_id));

diesel::allow_tables_to_appear_in_same_query!(
    account_tokens,
    alert_audience,
    audit_log,
    appointment_events,
    appointments,
    booking_rules,
    calendar_feeds,
    consult_messages,
    consults,
    waitlist_entries,
    waitlist_offers,
    time_off,
    doctors,
    follows,
    idempotency_keys,
    invitations,
    notification_jobs,
    notifications,
    patients,
    presence_intervals,
    presence_leases,
    refresh_tokens,
    schedule_exceptions,
    users,
    working_hours,
);
