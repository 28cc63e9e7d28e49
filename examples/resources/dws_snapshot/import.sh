# A DWS snapshot is imported by its snapshot ID:
terraform import dws_snapshot.example 2a4d0f86-67cd-408a-8b66-017454fb7793

# Or, with an import block in the configuration (then `terraform apply`):
#
#   import {
#     to = dws_snapshot.example
#     id = "2a4d0f86-67cd-408a-8b66-017454fb7793"
#   }
#
# Terraform 1.12 and later can import by resource identity instead of by ID:
#
#   import {
#     to = dws_snapshot.example
#     identity = {
#       id = "2a4d0f86-67cd-408a-8b66-017454fb7793"
#     }
#   }
