environment   = "production"
org_dir       = ".sfsync/production"
support_email = "support@acme.example"

list_prices = {
  "GADGET-1" = 49.9
  "GADGET-2" = 89
}
