-- The SQLAlchemy guide's tables as the ORM creates them, an application role, and the
-- guide's rows: two tenants with one user each.
CREATE TABLE tenants (id serial PRIMARY KEY, name varchar(30) NOT NULL);
CREATE TABLE users (id serial PRIMARY KEY, name varchar(30) NOT NULL,
                    tenant_id integer NOT NULL REFERENCES tenants (id));
CREATE ROLE app_user LOGIN;
GRANT SELECT, INSERT, UPDATE, DELETE ON users TO app_user;
GRANT USAGE ON SEQUENCE users_id_seq TO app_user;
INSERT INTO tenants (name) VALUES ('Tenant 1'), ('Tenant 2');
INSERT INTO users (name, tenant_id) VALUES ('John Doe', 1), ('Jane Smith', 2);
