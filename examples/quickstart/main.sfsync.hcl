# Quickstart: a few Accounts and Contacts on the embedded local org.
#
#   cd examples/quickstart
#   sfsync plan        # shows what apply would insert
#   sfsync apply
#
# The local org lives in .sfsync/localorg beside this file; nothing leaves
# the machine.

org {
  local = ".sfsync/localorg"
  # Pinned: login variables in your shell (SFSYNC_ACCESS_TOKEN, SFSYNC_AUTH,
  # ...) never send this example to a real org.
  auth = "local"
}

variable "industry" {
  type        = string
  default     = "Manufacturing"
  description = "Industry of the Acme accounts."
}

locals {
  # One subsidiary account per country, keyed by ISO code.
  countries = {
    DE = "Germany"
    FR = "France"
    JP = "Japan"
  }
}

object "Account" {
  key    = ["AccountNumber"] # how a record here finds its record in the org
  delete = "managed"         # delete only records sfsync created that left this file

  record "acme" {
    AccountNumber = "ACME-001"
    Name          = "Acme Corporation"
    Industry      = var.industry
    Type          = "Customer - Direct"
    Website       = "https://acme.example"
  }

  record "country" {
    for_each       = local.countries
    AccountNumber  = "ACME-${each.key}"
    Name           = "Acme ${each.value}"
    Industry       = var.industry
    BillingCountry = each.value
    ParentId       = Account.acme.Id # known after apply when Acme is new
  }
}

object "Contact" {
  key = ["Email"]

  record "jane" {
    Email     = "jane@acme.example"
    FirstName = "Jane"
    LastName  = "Doe"
    Title     = "Head of Procurement"
    AccountId = Account.acme.Id
  }

  # Larger sets live in CSV: the header names the fields; the column
  # Account.AccountNumber names each contact's account by its key.
  # Rows are addressed Contact.csv["<Email>"].
  records_csv = "data/contacts.csv"
}
