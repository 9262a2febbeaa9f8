-- The SQLAlchemy guide's policy: users see and write only their tenant's rows.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
  USING (tenant_id = current_setting('app.current_tenant')::integer);
