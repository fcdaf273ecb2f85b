package org.langchainjenkins

import com.cloudbees.groovy.cps.NonCPS
import groovy.json.JsonOutput
import groovy.json.JsonSlurperClassic

/**
 * JSON in and out, outside the CPS interpreter.
 *
 * JsonSlurperClassic returns plain HashMap/ArrayList, which survive a controller restart (the lazy maps of
 * JsonSlurper are not serializable); both methods are @NonCPS because they are pure and CPS would only slow
 * them down.
 */
class Json implements Serializable {

    private static final long serialVersionUID = 1L

    @NonCPS
    static String write(Object value) {
        return JsonOutput.toJson(value)
    }

    /** Parses `text`; returns null for blank or malformed text (callers report the HTTP status instead). */
    @NonCPS
    static Object parse(String text) {
        if (text == null || text.trim().isEmpty()) {
            return null
        }
        try {
            return new JsonSlurperClassic().parseText(text)
        } catch (Exception ignored) {
            return null
        }
    }
}
