"""GDPR: a resident's data export and account deletion. Sits on top (it reads every domain)."""
