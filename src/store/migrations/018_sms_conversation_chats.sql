-- A gateway's retry of a text that already reached a chat of its conversation stays there, even once
-- that chat has ended (SmsDesk: chatHolding): the conversation's chats are found by its two numbers.
CREATE INDEX sms_routes_conversation ON sms_routes(customer_number, service_number, created_at);
