package org.langchainjenkins.testing

/** hudson.AbortException: what `error` and a failing `sh` throw. */
class AbortException extends IOException {
    AbortException(String message) {
        super(message)
    }
}
