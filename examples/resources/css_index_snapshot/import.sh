# A CSS index snapshot is imported by "<cluster_id>/<snapshot_id>": CSS has no
# lookup by snapshot ID alone.
terraform import css_index_snapshot.example 4f3deec3-efa8-4598-bf91-560aad1377a3/6c3b1e34-1fbb-4b4e-9ae9-20d2cfc0e2fd

# Or, with an import block in the configuration (then `terraform apply`):
#
#   import {
#     to = css_index_snapshot.example
#     id = "4f3deec3-efa8-4598-bf91-560aad1377a3/6c3b1e34-1fbb-4b4e-9ae9-20d2cfc0e2fd"
#   }
#
# Terraform 1.12 and later can import by resource identity instead of by ID:
#
#   import {
#     to = css_index_snapshot.example
#     identity = {
#       cluster_id = "4f3deec3-efa8-4598-bf91-560aad1377a3"
#       id         = "6c3b1e34-1fbb-4b4e-9ae9-20d2cfc0e2fd"
#     }
#   }
