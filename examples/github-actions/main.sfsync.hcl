# The configuration the workflows in workflows/ plan and apply: a
# production org and a state in PostgreSQL that every run shares. Copy the
# workflows to .github/workflows/ of the repository that holds this
# configuration and set SFSYNC_DIR in them to its directory (see the
# README's "Pull requests" section).
#
# On a laptop the org is the sf CLI's login (sf org login web --alias
# acme-prod). CI sets SFSYNC_AUTH=jwt and logs in with the JWT bearer flow
# instead; the alias is then not used.

org {
  alias = "acme-prod"
}

backend "postgres" {
  # The connection string (no password: PGPASSWORD) is a secret of the
  # repository; the workspace is this org's state.
  conn_str_env = "SFSYNC_PG_DSN"
  workspace    = "production"
}

object "Account" {
  key = ["AccountNumber"]

  record "acme" {
    AccountNumber = "ACME-001"
    Name          = "Acme Corporation"
    Industry      = "Manufacturing"
  }
}

object "Product2" {
  key    = ["ProductCode"]
  delete = "never"

  record "gadget" {
    ProductCode = "GADGET-1"
    Name        = "Gadget"
    IsActive    = true
  }
}
