package io.partnersoap.client;

/** How the UsernameToken carries the password: the turn-up sheet's {@code password_type}. */
public enum PasswordType {
    /** PasswordDigest: Base64(SHA-1(nonce + Created + password)); the password never travels. */
    DIGEST("PasswordDigest"),
    /** PasswordText: the password itself, for credentials made for text (HTTPS only). */
    TEXT("PasswordText");

    private final String profileName;

    PasswordType(String profileName) {
        this.profileName = profileName;
    }

    /** The Type attribute's URI of the UsernameToken Profile. */
    String typeUri() {
        return UsernameToken.PROFILE + "#" + profileName;
    }
}
