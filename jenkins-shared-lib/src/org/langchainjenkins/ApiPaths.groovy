package org.langchainjenkins

import com.cloudbees.groovy.cps.NonCPS

/**
 * The URL paths of the assistant's HTTP API (see the "HTTP API" section of the contracts).
 *
 * A job name is a folder path ("team/api-service"); the API takes it as a path, so each segment is
 * percent-encoded on its own and the slashes between segments are kept. A multibranch job name already
 * carries "%2F" for a branch like "feature/x"; it is encoded again so the API receives JOB_NAME unchanged.
 */
class ApiPaths implements Serializable {

    private static final long serialVersionUID = 1L

    static final String PREFIX = '/api/v1'

    @NonCPS
    static String events() {
        return PREFIX + '/events'
    }

    @NonCPS
    static String build(String job, Object number) {
        return PREFIX + '/jobs/' + encodeJob(job) + '/builds/' + encodeSegment(number.toString())
    }

    /** The build on one controller: builds are keyed by controller + job + number. */
    @NonCPS
    static String build(String job, Object number, String jenkinsUrl) {
        String path = build(job, number)
        return jenkinsUrl ? path + '?jenkins_url=' + encodeSegment(jenkinsUrl) : path
    }

    @NonCPS
    static String tasks() {
        return PREFIX + '/tasks'
    }

    @NonCPS
    static String task(String taskId) {
        return PREFIX + '/tasks/' + encodeSegment(taskId)
    }

    @NonCPS
    static String taskConfirm(String taskId) {
        return task(taskId) + '/confirm'
    }

    @NonCPS
    static String encodeJob(String job) {
        return job.split('/', -1).collect { String segment -> encodeSegment(segment) }.join('/')
    }

    /** RFC 3986 path-segment encoding: URLEncoder is form encoding, so '+' and '*' and '~' are fixed up. */
    @NonCPS
    static String encodeSegment(String segment) {
        return URLEncoder.encode(segment, 'UTF-8')
                .replace('+', '%20')
                .replace('*', '%2A')
                .replace('%7E', '~')
    }
}
