// CredentialsTests placeholder
