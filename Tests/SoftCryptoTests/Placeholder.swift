// SoftCryptoTests placeholder
