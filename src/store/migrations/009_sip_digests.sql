-- SIP secrets at rest as digests: md5(username:realm:password), which Asterisk takes as the auth's
-- md5_cred. The plain passwords stored until now cannot be turned into digests here (SQLite has no
-- md5), so they are dropped: softphones and customers' phones get a new password on their next fetch,
-- and a desk phone gets one from /admin/telephony (the page says none is set yet).
DROP TABLE sip_credentials;
CREATE TABLE sip_credentials (
  endpoint TEXT PRIMARY KEY,
  md5_cred TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
