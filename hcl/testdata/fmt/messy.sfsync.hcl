org {
local = ".sfsync/localorg"
  api_version="62.0"
}
object "Account" {
    key= ["AccountNumber"]
  delete =   "managed"
    record "acme" {
  AccountNumber = "ACME-001"
  Name = "Acme"
      Description = <<-EOT
        Multi-line text
        stays as written.
      EOT
  Tags = ["a","b"  ,"c"]
  }
  record "country" {
    for_each = {DE="Germany",FR="France"}
    AccountNumber="C-${each.key}"
    ParentId=Account.acme.Id # a comment
  }
}
