-- Registration verification (application.verifyRegistration): a
-- registration now may be unverified until its verificationId is used.
-- Every registration stored before stays verified, as it was served: its
-- document says verified, verified at its insertInstant when it names no
-- verifiedInstant.
UPDATE registrations SET doc = json_set(doc,
    '$.verified', json('true'),
    '$.verifiedInstant', COALESCE(json_extract(doc, '$.verifiedInstant'), json_extract(doc, '$.insertInstant'), 0));
