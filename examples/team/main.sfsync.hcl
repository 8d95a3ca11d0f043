# A team setup: a sandbox reached through the sf CLI, state shared in
# PostgreSQL so that a pull-request workflow plans against the same state,
# and reference data that shows scoped deletes, hierarchies, record types,
# composite keys and secrets.
#
# Its variables come from two places: staging.vars.hcl (environment,
# regions) and, for the sensitive shipping API key that is never written to
# a file, the SFSYNC_VAR_api_key environment variable. validate needs both
# but no org, database or real key:
#
#   SFSYNC_VAR_api_key=dummy sfsync -chdir=examples/team validate -var-file=staging.vars.hcl
#
# Planning also needs the sf CLI's login and the state database (its
# password from PGPASSWORD or ~/.pgpass):
#
#   sf org login web --alias acme-staging
#   export SFSYNC_VAR_api_key=...   # the real key
#   sfsync -chdir=examples/team plan -var-file=staging.vars.hcl

org {
  alias       = "acme-staging" # reuse the sf CLI's login
  api_version = "62.0"
  bulk        = "1.0"
}

backend "postgres" {
  # No password here: PGPASSWORD or ~/.pgpass supplies it.
  conn_str  = "host=db.internal dbname=sfsync user=sfsync sslmode=require"
  workspace = "acme-staging"
}

variable "environment" {
  type        = string
  description = "Which environment this configuration is applied to."

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment is staging or production."
  }
}

variable "api_key" {
  type        = string
  sensitive   = true # never shown in plans or diagnostics
  description = "Key of the shipping API; set SFSYNC_VAR_api_key."
}

variable "regions" {
  type = map(object({
    name   = string
    parent = optional(string, "")
  }))
  description = "Sales regions, as a tree."
}

locals {
  banner = templatefile("templates/banner.tmpl", { environment = var.environment })
}

data "RecordType" "region" {
  where = "SobjectType = 'Account' AND DeveloperName = 'Region'"
}

object "Account" {
  key         = ["AccountNumber"]
  where       = "RecordType.DeveloperName = 'Region'"
  delete      = "scoped" # regions not declared here are deleted...
  max_deletes = 5        # ...but never more than five in one apply
  ignore      = ["OwnerId"]
  batch_size  = 200

  record "region" {
    for_each      = var.regions
    AccountNumber = "REGION-${each.key}"
    Name          = each.value.name
    RecordTypeId  = data.RecordType.region.Id
    Description   = local.banner
    # A region's parent is another region: parents are inserted first.
    ParentId = each.value.parent == "" ? null : Account.region[each.value.parent].Id
  }
}

object "Shipping_Setting__c" {
  # A composite key: one setting per environment and carrier.
  key = ["Environment__c", "Carrier__c"]

  record "carrier" {
    for_each       = toset(["DHL", "UPS"])
    Environment__c = var.environment
    Carrier__c     = each.key
    Api_Key__c     = var.api_key
    Enabled__c     = var.environment == "production"
  }
}
