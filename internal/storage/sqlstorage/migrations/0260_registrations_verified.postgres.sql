-- Registration verification (application.verifyRegistration): a
-- registration now may be unverified until its verificationId is used.
-- Every registration stored before stays verified, as it was served: its
-- document says verified, verified at its insertInstant when it names no
-- verifiedInstant.
UPDATE registrations SET doc = (doc::jsonb || jsonb_build_object(
    'verified', true,
    'verifiedInstant', COALESCE(doc::jsonb -> 'verifiedInstant', doc::jsonb -> 'insertInstant', '0'::jsonb)))::text;
