# A price book: products from a CSV file, their standard prices (in the
# org's standard price book, found by a data lookup) and a partner price
# book with its own prices.
#
#   sfsync -chdir=examples/pricebook plan

org {
  local = ".sfsync/localorg"
  # Pinned: login variables in your shell (SFSYNC_ACCESS_TOKEN, SFSYNC_AUTH,
  # ...) never send this example to a real org.
  auth = "local"
}

# The standard price book exists in every org; it is looked up, not
# managed. A data lookup must match exactly one record.
data "Pricebook2" "standard" {
  where = "IsStandard = true"
}

variable "partner_discount" {
  type        = number
  default     = 0.15
  description = "Discount of the partner price book off list price."

  validation {
    condition     = var.partner_discount >= 0 && var.partner_discount < 1
    error_message = "partner_discount is a fraction from 0 to 1, such as 0.15."
  }
}

locals {
  # ProductCode,ListPrice: one row per product.
  prices = { for p in csvdecode(file("data/prices.csv")) : p.ProductCode => p }
}

object "Product2" {
  key    = ["ProductCode"]
  delete = "never" # products may be referenced by orders: never delete them

  # ProductCode,Name,Family,IsActive,Description
  records_csv = "data/products.csv"
}

object "Pricebook2" {
  key   = ["Name"]
  where = "IsStandard = false"

  record "partner" {
    Name        = "Partner Prices"
    IsActive    = true
    Description = "List price less ${format("%.0f", var.partner_discount * 100)}%."
  }
}

object "PricebookEntry" {
  # An entry is one product in one price book.
  key = ["Pricebook2Id", "Product2Id"]

  # Product2Id cannot change on an existing entry: replace it instead.
  replace = true

  record "standard" {
    for_each     = local.prices
    Pricebook2Id = data.Pricebook2.standard.Id
    Product2Id   = Product2.csv[each.key].Id
    UnitPrice    = tonumber(each.value.ListPrice)
    IsActive     = true
  }

  record "partner" {
    for_each     = local.prices
    Pricebook2Id = Pricebook2.partner.Id
    Product2Id   = Product2.csv[each.key].Id
    UnitPrice    = floor(tonumber(each.value.ListPrice) * (1 - var.partner_discount) * 100) / 100
    IsActive     = true
  }
}
