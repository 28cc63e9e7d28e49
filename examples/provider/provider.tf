terraform {
  required_providers {
    dws = { source = "hwsnap/dws" }
    css = { source = "hwsnap/css" }
  }
}

# Every argument is optional and falls back to an HW_* environment variable:
# HW_REGION_NAME, HW_ACCESS_KEY, HW_SECRET_KEY, HW_SECURITY_TOKEN,
# HW_PROJECT_ID, HW_CLOUD, HW_INSECURE, HW_SKIP_CREDENTIALS_VALIDATION,
# HW_MAX_RETRIES and HW_DWS_ENDPOINT / HW_CSS_ENDPOINT / HW_IAM_ENDPOINT.
# Keep the keys out of the configuration; the environment is the usual place
# for them.
provider "dws" {
  region = "ap-southeast-1"
}

# The CSS provider takes the same arguments; here it overrides endpoints,
# e.g. for a private cloud or the local hwsnap-emulator.
provider "css" {
  region      = "ap-southeast-1"
  project_id  = "0123456789abcdef0123456789abcdef"
  max_retries = 3

  endpoints {
    css = "https://css.ap-southeast-1.myhuaweicloud.com"
    iam = "https://iam.ap-southeast-1.myhuaweicloud.com"
  }
}
