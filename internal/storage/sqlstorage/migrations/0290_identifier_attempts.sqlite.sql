-- A verificationId sent with a FormField one-time code ends after five
-- answers (ReserveIdentifierAttempt counts each before its code is
-- compared), as a twoFactorId does; before, wrong codes were never counted.
ALTER TABLE identifiers ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
