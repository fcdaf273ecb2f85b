package org.langchainjenkins

import com.cloudbees.groovy.cps.NonCPS

/**
 * Resolves and validates the options of every step.
 *
 * Precedence: step arguments, then the environment (LANGCHAIN_JENKINS_URL, LANGCHAIN_JENKINS_CREDENTIALS_ID,
 * JENKINS_URL), then the library defaults below. Validation returns a message instead of calling error(),
 * because @NonCPS code must not call steps: the step calls error() with the message.
 */
class Config implements Serializable {

    private static final long serialVersionUID = 1L

    /** Library defaults: the credentials id matches jenkins/casc.yaml. */
    static final Map DEFAULTS = [
            apiUrl         : null,
            credentialsId  : 'langchain-jenkins-api-token',
            httpClient     : 'auto',
            httpTimeout    : 15,
            failOnError    : false,
            markUnstable   : false,
            jenkinsUrl     : null,
            // analyzeFailure / askJenkinsAgent polling
            timeout        : 180,
            interval       : 5,
            setDescription : true,
            maxExcerptLines: 40,
            // askJenkinsAgent
            wait           : true,
    ]

    static final List COMMON_KEYS = ['apiUrl', 'credentialsId', 'httpClient', 'httpTimeout', 'failOnError',
                                     'markUnstable', 'jenkinsUrl']
    static final List EVENT_KEYS = ['status', 'durationMs', 'stages', 'parameters', 'commit', 'branch', 'cause']
    static final List ANALYSIS_KEYS = ['timeout', 'interval', 'setDescription', 'maxExcerptLines']
    /** Set by withJenkinsAgent(retryTransient:) for the failure of a retried body. */
    static final int MAX_ATTEMPT = MAX_RETRIES + 1

    /** The options each step accepts; anything else is a typo we report rather than ignore. */
    static final Map STEP_KEYS = [
            publishBuildEvent: COMMON_KEYS + EVENT_KEYS + ['event'],
            analyzeFailure   : COMMON_KEYS + EVENT_KEYS + ANALYSIS_KEYS + ['attempt'],
            askJenkinsAgent  : COMMON_KEYS + ['task', 'context', 'wait', 'timeout', 'interval', 'confirm'],
            withJenkinsAgent : COMMON_KEYS + ['stages', 'parameters', 'commit', 'branch', 'cause', 'retryTransient'] +
                    ANALYSIS_KEYS,
    ]

    static final List BUILD_STATUSES = ['IN_PROGRESS', 'SUCCESS', 'FAILURE', 'UNSTABLE', 'ABORTED', 'NOT_BUILT']
    static final List HTTP_CLIENTS = ['auto', 'httpRequest', 'curl']
    static final int MAX_TASK_CHARS = 4000
    /** withJenkinsAgent(retryTransient: N): a few retries at most; a failure that keeps coming is not transient. */
    static final int MAX_RETRIES = 5

    /**
     * Reads the environment variables the library uses. Runs as CPS code on purpose: `env` is a pipeline
     * global, so it is read here and handed to the pure helpers as a plain map.
     */
    static Map readEnvironment(steps) {
        return [
                LANGCHAIN_JENKINS_URL           : steps.env.LANGCHAIN_JENKINS_URL,
                LANGCHAIN_JENKINS_CREDENTIALS_ID: steps.env.LANGCHAIN_JENKINS_CREDENTIALS_ID,
                JENKINS_URL                     : steps.env.JENKINS_URL,
                JOB_NAME                        : steps.env.JOB_NAME,
                BUILD_NUMBER                    : steps.env.BUILD_NUMBER,
                BUILD_URL                       : steps.env.BUILD_URL,
                GIT_COMMIT                      : steps.env.GIT_COMMIT,
                BRANCH_NAME                     : steps.env.BRANCH_NAME,
                GIT_BRANCH                      : steps.env.GIT_BRANCH,
        ]
    }

    /**
     * Merges step arguments over the environment over the defaults. Returns a new map; the inputs are untouched.
     * Unknown keys are kept so that {@link #validate} can name them.
     */
    @NonCPS
    static Map resolve(Map args, Map environment) {
        Map cfg = [:]
        cfg.putAll(DEFAULTS)
        if (!blank(environment.LANGCHAIN_JENKINS_URL)) {
            cfg.apiUrl = environment.LANGCHAIN_JENKINS_URL
        }
        if (!blank(environment.LANGCHAIN_JENKINS_CREDENTIALS_ID)) {
            cfg.credentialsId = environment.LANGCHAIN_JENKINS_CREDENTIALS_ID
        }
        if (!blank(environment.JENKINS_URL)) {
            cfg.jenkinsUrl = environment.JENKINS_URL
        }
        args.each { key, value ->
            if (value != null) {
                cfg[key as String] = value
            }
        }
        if (cfg.apiUrl instanceof CharSequence) {
            cfg.apiUrl = cfg.apiUrl.toString().trim().replaceAll('/+$', '')
        }
        return cfg
    }

    /**
     * Checks the options every step shares plus the ones of `step`. Returns null when valid, otherwise one
     * message naming the option and the rule, ready for error().
     */
    @NonCPS
    static String validate(String step, Map args, Map cfg) {
        List known = STEP_KEYS[step] as List
        for (Object key : args.keySet()) {
            if (!known.contains(key)) {
                return "${step}: unknown option '${key}' (known options: ${known.sort(false).join(', ')})".toString()
            }
        }
        if (blank(cfg.apiUrl)) {
            return "${step}: the assistant API URL is not set: pass apiUrl: '<url>' or set the " +
                    'LANGCHAIN_JENKINS_URL environment variable (e.g. in Manage Jenkins > System > ' +
                    'Global properties)'
        }
        if (!(cfg.apiUrl ==~ /https?:\/\/[^\s\/]+(\/\S*)?/)) {
            return "${step}: apiUrl '${cfg.apiUrl}' must be an http:// or https:// URL".toString()
        }
        if (blank(cfg.credentialsId)) {
            return "${step}: credentialsId is blank: pass credentialsId: '<id of a Secret text credential>' or " +
                    'set LANGCHAIN_JENKINS_CREDENTIALS_ID'
        }
        if (!HTTP_CLIENTS.contains(cfg.httpClient)) {
            return "${step}: httpClient must be one of ${HTTP_CLIENTS.join(', ')}, got '${cfg.httpClient}'".toString()
        }
        for (String key : ['httpTimeout', 'timeout', 'interval', 'maxExcerptLines']) {
            if (!positiveInteger(cfg[key])) {
                return "${step}: ${key} must be a positive whole number of " +
                        "${key == 'maxExcerptLines' ? 'lines' : 'seconds'}, got '${cfg[key]}'".toString()
            }
        }
        for (String key : ['failOnError', 'markUnstable', 'setDescription', 'wait']) {
            if (!(cfg[key] instanceof Boolean)) {
                return "${step}: ${key} must be true or false, got '${cfg[key]}'".toString()
            }
        }
        if (cfg.retryTransient != null && !((cfg.retryTransient instanceof Integer || cfg.retryTransient instanceof Long) &&
                cfg.retryTransient >= 0 && cfg.retryTransient <= MAX_RETRIES)) {
            return "${step}: retryTransient must be a whole number of retries from 0 to ${MAX_RETRIES}, got " +
                    "'${cfg.retryTransient}'".toString()
        }
        if (cfg.attempt != null && !((cfg.attempt instanceof Integer || cfg.attempt instanceof Long) &&
                cfg.attempt >= 1 && cfg.attempt <= MAX_ATTEMPT)) {
            return "${step}: attempt must be a whole number from 1 to ${MAX_ATTEMPT}, got '${cfg.attempt}'".toString()
        }
        if (cfg.status != null && !BUILD_STATUSES.contains(cfg.status.toString())) {
            return "${step}: status must be one of ${BUILD_STATUSES.join(', ')}, got '${cfg.status}'".toString()
        }
        if (cfg.event != null && !['started', 'completed'].contains(cfg.event)) {
            return "${step}: event must be 'started' or 'completed', got '${cfg.event}'".toString()
        }
        if (cfg.durationMs != null && !(cfg.durationMs instanceof Number && cfg.durationMs >= 0)) {
            return "${step}: durationMs must be a number >= 0, got '${cfg.durationMs}'".toString()
        }
        if (cfg.parameters != null && !(cfg.parameters instanceof Map)) {
            return "${step}: parameters must be a map of name to value".toString()
        }
        if (cfg.stages != null) {
            if (!(cfg.stages instanceof List)) {
                return "${step}: stages must be a list of [name: ..., status: ...] maps".toString()
            }
            for (Object stage : cfg.stages) {
                if (!(stage instanceof Map) || blank(stage.name) || blank(stage.status)) {
                    return "${step}: every entry of stages needs a name and a status, got '${stage}'".toString()
                }
            }
        }
        if (step == 'askJenkinsAgent' && cfg.confirm != null) {
            if (cfg.task != null) {
                return 'askJenkinsAgent: give either task or confirm, not both'
            }
            if (confirmationOf(cfg.confirm) == null) {
                return 'askJenkinsAgent: confirm must be the task a previous askJenkinsAgent returned with status ' +
                        "'needs_confirmation', or [task_id: ..., token: ...]"
            }
        } else if (step == 'askJenkinsAgent') {
            if (!(cfg.task instanceof CharSequence) || blank(cfg.task)) {
                return 'askJenkinsAgent: task is required: askJenkinsAgent(task: \'why did the last build fail?\')'
            }
            if (cfg.task.toString().length() > MAX_TASK_CHARS) {
                return "askJenkinsAgent: task must be at most ${MAX_TASK_CHARS} characters, got " +
                        "${cfg.task.toString().length()}".toString()
            }
            if (cfg.context != null && !(cfg.context instanceof Map)) {
                return 'askJenkinsAgent: context must be a map, e.g. context: [job: env.JOB_NAME]'
            }
        }
        return null
    }

    /**
     * The task id and token that confirm a plan: from the task map a previous askJenkinsAgent returned
     * (result.status 'needs_confirmation', result.confirmation.token) or from [task_id: ..., token: ...]; null if
     * neither.
     */
    @NonCPS
    static Map confirmationOf(Object confirm) {
        if (!(confirm instanceof Map)) {
            return null
        }
        Map given = (Map) confirm
        Object token = given.token
        if (token == null && given.result instanceof Map && ((Map) given.result).confirmation instanceof Map) {
            token = ((Map) ((Map) given.result).confirmation).token
        }
        Object taskId = given.task_id ?: given.taskId
        if (blank(token) || blank(taskId)) {
            return null
        }
        return [taskId: taskId.toString(), token: token.toString()]
    }

    /**
     * Checks what a build-related step needs from the build itself; returns null or a message.
     */
    @NonCPS
    static String validateBuild(String step, Map cfg, Map environment) {
        if (blank(environment.JOB_NAME)) {
            return "${step}: env.JOB_NAME is not set: this step must run inside a Pipeline build".toString()
        }
        if (!(environment.BUILD_NUMBER ==~ /[1-9][0-9]*/)) {
            return "${step}: env.BUILD_NUMBER '${environment.BUILD_NUMBER}' is not a build number: " +
                    'this step must run inside a Pipeline build'
        }
        if (blank(cfg.jenkinsUrl)) {
            return "${step}: JENKINS_URL is not set: set the Jenkins URL in Manage Jenkins > System, " +
                    "or pass jenkinsUrl: '<url>'"
        }
        if (!(cfg.jenkinsUrl ==~ /https?:\/\/\S+/)) {
            return "${step}: jenkinsUrl '${cfg.jenkinsUrl}' must be an http:// or https:// URL".toString()
        }
        return null
    }

    /** A copy of `args` with only the given keys: withJenkinsAgent hands each step the options it knows. */
    @NonCPS
    static Map only(Map args, List keys) {
        return args.findAll { key, value -> keys.contains(key) }
    }

    @NonCPS
    static boolean blank(Object value) {
        return value == null || value.toString().trim().isEmpty()
    }

    @NonCPS
    private static boolean positiveInteger(Object value) {
        return (value instanceof Integer || value instanceof Long) && value > 0
    }
}
