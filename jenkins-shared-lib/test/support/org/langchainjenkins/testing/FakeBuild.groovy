package org.langchainjenkins.testing

/** The parts of RunWrapper (`currentBuild`) the library uses. */
class FakeBuild {
    String result
    String description
    long duration = 61000
    List buildCauses = [[shortDescription: 'Started by user admin']]

    String getCurrentResult() {
        return result ?: 'SUCCESS'
    }

    List getBuildCauses() {
        return buildCauses
    }
}
