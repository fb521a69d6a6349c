"""电子证照: electronic certificates signed by the issuing unit, verified by anyone, collected
in the certificate library that other departments read through the exchange."""
