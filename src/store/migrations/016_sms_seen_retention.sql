-- Seen inbound ids are kept for a bounded time (SmsDesk.forgetSeen): the leader's sweep finds the old
-- ones without reading the whole table.
CREATE INDEX sms_inbound_seen ON sms_inbound(received_at) WHERE pending = 0;
