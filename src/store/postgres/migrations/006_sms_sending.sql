-- Texts a gateway never answered are sent again at every start, whatever became of their chat: found
-- without reading every reply ever sent.
CREATE INDEX sms_outbound_sending ON sms_outbound (updated_at) WHERE status = 'sending';
