# One configuration applied to several orgs: every environment has a
# variable file (which org, and the values that differ between orgs) and a
# state of its own.
#
#   sfsync -chdir=examples/environments validate -var-file=sandbox.vars.hcl
#   sfsync -chdir=examples/environments plan -var-file=sandbox.vars.hcl -state=sandbox.state.json
#   sfsync -chdir=examples/environments apply -var-file=sandbox.vars.hcl -state=sandbox.state.json
#   sfsync -chdir=examples/environments plan -var-file=production.vars.hcl -state=production.state.json
#
# As written, each environment is a local org of its own, so the example
# runs anywhere. For real orgs, write alias = var.sf_alias (and sf_alias in
# the variable files) instead of local = var.org_dir; CI logs in through
# SFSYNC_* variables instead (see the README). With the state in
# PostgreSQL, a backend "postgres" block and SFSYNC_WORKSPACE=sandbox or
# production take the place of -state.

variable "environment" {
  type        = string
  description = "The environment: sandbox or production."

  validation {
    condition     = contains(["sandbox", "production"], var.environment)
    error_message = "environment is sandbox or production."
  }
}

variable "org_dir" {
  type        = string
  description = "The environment's local org (a directory)."
}

variable "support_email" {
  type        = string
  description = "Where the environment's support cases go."
}

variable "list_prices" {
  type        = map(number)
  description = "List price of each product, by product code."
}

org {
  local = var.org_dir
}

object "Account" {
  key = ["AccountNumber"]

  record "support" {
    AccountNumber = "SUPPORT"
    Name          = "Acme Support"
    Description   = "Cases go to ${var.support_email}."
    Type          = var.environment == "production" ? "Customer - Direct" : "Other"
  }
}

object "Product2" {
  key    = ["ProductCode"]
  delete = "never"

  record "product" {
    for_each    = var.list_prices
    ProductCode = each.key
    Name        = "Gadget ${each.key}"
    IsActive    = true
  }
}

data "Pricebook2" "standard" {
  where = "IsStandard = true"
}

object "PricebookEntry" {
  key = ["Pricebook2Id", "Product2Id"]

  record "standard" {
    for_each     = var.list_prices
    Pricebook2Id = data.Pricebook2.standard.Id
    Product2Id   = Product2.product[each.key].Id
    UnitPrice    = each.value
    IsActive     = true
  }
}
