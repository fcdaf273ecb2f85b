"""Dev-set logs whose failure is Jenkins' own (Groovy/CPS, credentials, agents, timeouts, aborts) or the
infrastructure's (OOM kills, Docker and Kubernetes agents, disk, network), and deploy tools (Terraform, Helm,
kubectl, Ansible, PowerShell). ``»`` marks the labelled failure lines."""

from __future__ import annotations

import random

from bench.jenkins_dev.jenkins_layer import checkout, head, post_actions, sh, skipped, stage, tail
from bench.jenkins_dev.specs_tools import DURABLE, _declarative, spec
from bench.jenkins_dev.tools import g, maven_noise, pip_noise, pytest_progress

CPS = "https://github.com/jenkinsci/workflow-cps-plugin (Groovy/CPS errors: root exception first, 'Caused:' below)"


def _frames(n: int, *, root: str = "WorkflowScript.run(WorkflowScript:42)") -> list[str]:
    frames = [
        "\tat org.jenkinsci.plugins.scriptsecurity.sandbox.groovy.SandboxInterceptor.onGetProperty(SandboxInterceptor.java:285)",
        "\tat org.kohsuke.groovy.sandbox.impl.Checker$7.call(Checker.java:375)",
        "\tat org.kohsuke.groovy.sandbox.impl.Checker.checkedGetProperty(Checker.java:379)",
        "\tat com.cloudbees.groovy.cps.sandbox.SandboxInvoker.getProperty(SandboxInvoker.java:29)",
        "\tat com.cloudbees.groovy.cps.impl.PropertyAccessBlock.rawGet(PropertyAccessBlock.java:20)",
        f"\tat {root}",
        "\tat ___cps.transform___(Native Method)",
        "\tat com.cloudbees.groovy.cps.impl.PropertyishBlock$ContinuationImpl.get(PropertyishBlock.java:73)",
        "\tat com.cloudbees.groovy.cps.LValueBlock$GetAdapter.receive(LValueBlock.java:30)",
        "\tat com.cloudbees.groovy.cps.Next.step(Next.java:83)",
        "\tat com.cloudbees.groovy.cps.Continuable.run0(Continuable.java:147)",
        "\tat org.jenkinsci.plugins.workflow.cps.CpsThread.runNextChunk(CpsThread.java:180)",
        "\tat java.base/java.lang.Thread.run(Thread.java:840)",
    ]
    return frames[:n]


@spec(
    "27-groovy-missing-property.log",
    "elastic/cloud-on-k8s",
    "jenkins",
    "configuration",
    [CPS, "https://github.com/elastic/cloud-on-k8s/issues/2107 (MissingPropertyException console)"],
    "clock",
)
def missing_property(rng: random.Random) -> list[str]:
    body = [
        *stage(
            "Test",
            sh("make unit", ["go test ./pkg/...", "ok  \tgithub.com/acme/operator/pkg/controller\t4.210s"]),
        ),
        *stage("Report", ["[Pipeline] script", "[Pipeline] {", "[Pipeline] }", "[Pipeline] // script"]),
    ]
    end = [
        "[Pipeline] }",
        "[Pipeline] // withEnv",
        "[Pipeline] }",
        "[Pipeline] // node",
        "[Pipeline] End of Pipeline",
        "Also:   org.jenkinsci.plugins.workflow.actions.ErrorAction$ErrorId: 3f1d8a52-7c1e-4d7e-9a55-0b8f6c1f2e11",
        *g(
            [
                "groovy.lang.MissingPropertyException: No such property: failedTests for class: groovy.lang.Binding",
                "\tat groovy.lang.Binding.getVariable(Binding.java:63)",
            ]
        ),
        *_frames(5, root="WorkflowScript.run(WorkflowScript:88)")[:5],
        *g(["\tat WorkflowScript.run(WorkflowScript:88)"]),
        *_frames(13)[6:],
        "Finished: FAILURE",
    ]
    return [*head(rng, "acme/operator"), *body, *end]


@spec(
    "28-groovy-script-security.log",
    "docs:script-security",
    "jenkins",
    "configuration",
    [CPS, "https://www.jenkins.io/doc/book/managing/script-approval/"],
)
def script_security(rng: random.Random) -> list[str]:
    end = [
        "[Pipeline] End of Pipeline",
        *g(
            [
                "org.jenkinsci.plugins.scriptsecurity.sandbox.RejectedAccessException: Scripts not permitted to use method hudson.model.Run getCauses"
            ]
        ),
        "\tat org.jenkinsci.plugins.scriptsecurity.sandbox.whitelists.StaticWhitelist.rejectMethod(StaticWhitelist.java:265)",
        "\tat org.jenkinsci.plugins.scriptsecurity.sandbox.groovy.SandboxInterceptor.onMethodCall(SandboxInterceptor.java:161)",
        "\tat WorkflowScript.run(WorkflowScript:12)",
        "\tat ___cps.transform___(Native Method)",
        "Finished: FAILURE",
    ]
    return [
        *head(rng, "acme/release", declarative=False),
        "[Pipeline] stage",
        "[Pipeline] { (Release)",
        "[Pipeline] }",
        "[Pipeline] // stage",
        "[Pipeline] }",
        "[Pipeline] // node",
        *end,
    ]


@spec(
    "29-workflowscript-compile.log",
    "docs:pipeline-syntax",
    "jenkins",
    "configuration",
    ["https://www.jenkins.io/doc/book/pipeline/syntax/", CPS],
)
def workflow_compile(rng: random.Random) -> list[str]:
    return [
        "Started by user admin",
        "Obtained Jenkinsfile from git https://github.com/acme/catalog.git",
        *g(
            [
                "org.codehaus.groovy.control.MultipleCompilationErrorsException: startup failed:",
                'WorkflowScript: 23: Invalid condition "failed" - valid conditions are [always, changed, fixed, regression, aborted, success, unsuccessful, unstable, failure, notBuilt, cleanup] @ line 23, column 9.',
                "           failed {",
                "           ^",
            ]
        ),
        "",
        "1 error",
        "",
        "\tat org.codehaus.groovy.control.ErrorCollector.failIfErrors(ErrorCollector.java:309)",
        "\tat org.codehaus.groovy.control.CompilationUnit.applyToPrimaryClassNodes(CompilationUnit.java:1107)",
        "\tat org.jenkinsci.plugins.workflow.cps.CpsFlowExecution.parseScript(CpsFlowExecution.java:560)",
        "\tat hudson.model.Executor.run(Executor.java:446)",
        "Finished: FAILURE",
    ]


@spec(
    "30-credentials-missing.log",
    "udacity/nd9991-c3-build-ci-cd-pipelines-monitoring-and-logging-v1",
    "jenkins",
    "configuration",
    [
        "https://plugins.jenkins.io/credentials-binding/",
        "https://github.com/udacity/nd9991-c3-Build-CI-CD-Pipelines-Monitoring-and-Logging-v1/issues/72",
    ],
    "iso",
)
def credentials(rng: random.Random) -> list[str]:
    stages = [
        *stage(
            "Build",
            sh(
                "make image",
                [
                    "docker build -t catalog:1.4.2 .",
                    "Successfully built 7c2e4f1a9b3d",
                    "Successfully tagged catalog:1.4.2",
                ],
            ),
        ),
        *stage("Push", ["[Pipeline] withCredentials", "[Pipeline] // withCredentials"]),
        *skipped("Deploy"),
    ]
    return [
        *head(rng, "acme/catalog"),
        *stages,
        *post_actions(rng, junit=False),
        "[Pipeline] }",
        "[Pipeline] // withEnv",
        "[Pipeline] }",
        "[Pipeline] // node",
        "[Pipeline] End of Pipeline",
        "GitHub has been notified of this commit’s build result",
        "",
        *g(["ERROR: Could not find credentials entry with ID 'registry-push'"]),
        "Finished: FAILURE",
    ]


@spec(
    "31-agent-channel-closed.log",
    "nodejs/build",
    "jenkins",
    "infrastructure",
    ["https://github.com/nodejs/build/issues/4404", "https://github.com/adoptium/temurin-build/issues/1450"],
    "clock",
    notes="The root exception is printed first; 'Caused:' lines wrap it.",
)
def channel_closed(rng: random.Random) -> list[str]:
    test = [
        "make -j4 test-ci",
        *[
            f"ok {i} parallel/test-http-{w}"
            for i, w in enumerate(
                rng.sample(["agent", "client", "server", "keepalive", "timeout", "upgrade"], 6), 1
            )
        ],
        "make[1]: *** [Makefile:645: test-ci] Terminated",
        "make: *** [Makefile:674: run-ci] Terminated",
        *g(
            [
                "FATAL: Unable to delete script file /tmp/jenkins8977940399029550408.sh",
                "java.nio.channels.ClosedChannelException",
            ]
        ),
        "\tat org.jenkinsci.remoting.protocol.NetworkLayer.onRecvClosed(NetworkLayer.java:155)",
        "\tat org.jenkinsci.remoting.protocol.impl.NIONetworkLayer.ready(NIONetworkLayer.java:143)",
        "\tat java.base/java.lang.Thread.run(Thread.java:1583)",
        *g(
            [
                'Caused: hudson.remoting.ChannelClosedException: Channel "hudson.remoting.Channel@6ae468e6:JNLP4-connect connection from 10.0.4.17/10.0.4.17:49598": Remote call on JNLP4-connect connection from 10.0.4.17/10.0.4.17:49598 failed. The channel is closing down or has closed down'
            ]
        ),
        "\tat hudson.remoting.Channel.call(Channel.java:1107)",
        "\tat hudson.FilePath.act(FilePath.java:1207)",
    ]
    return [
        *head(rng, "nodejs/node", agent="test-rhel8-x64-3", declarative=False),
        *stage("Test", sh(test[0], test[1:])),
        "[Pipeline] }",
        "[Pipeline] // node",
        "[Pipeline] End of Pipeline",
        "Finished: FAILURE",
    ]


@spec(
    "32-agent-offline-pending.log",
    "jenkinsci/ec2-fleet-plugin",
    "jenkins",
    "infrastructure",
    [
        "https://github.com/jenkinsci/ec2-fleet-plugin/issues/518",
        "https://github.com/eclipse-openj9/openj9/issues/13133",
    ],
    "iso",
)
def agent_offline(rng: random.Random) -> list[str]:
    return [
        *head(rng, "acme/data-pipeline", agent="i-0520b51c135434fc1"),
        *stage(
            "Build",
            sh(
                "./build.sh",
                [f"[{i}/9] step {i}" for i in range(1, 5)]
                + g(
                    [
                        'Cannot contact i-0520b51c135434fc1: hudson.remoting.ChannelClosedException: Channel "hudson.remoting.Channel@4f90464d:i-0520b51c135434fc1": Remote call on i-0520b51c135434fc1 failed. The channel is closing down or has closed down',
                    ]
                )
                + ["Could not connect to i-0520b51c135434fc1 to send interrupt signal to process"],
            ),
        ),
        "Post stage",
        "[Pipeline] script",
        "[Pipeline] {",
        "[Pipeline] writeFile",
        "[Pipeline] }",
        "[Pipeline] // script",
        "Error when executing always post condition:",
        "Also:   org.jenkinsci.plugins.workflow.actions.ErrorAction$ErrorId: 81921c80-dd53-4f61-878a-5b02f75c4652",
        *g(
            [
                "org.jenkinsci.plugins.workflow.support.steps.AgentOfflineException: Unable to create live FilePath for i-0520b51c135434fc1; ec2-fleet i-0520b51c135434fc1 was marked offline: Connection was broken"
            ]
        ),
        "\tat org.jenkinsci.plugins.workflow.support.steps.ExecutorStepDynamicContext$FilePathTranslator.get(ExecutorStepDynamicContext.java:182)",
        "\tat org.jenkinsci.plugins.workflow.steps.StepDescriptor.checkContextAvailability(StepDescriptor.java:286)",
        *tail("FAILURE", None),
    ]


@spec(
    "33-no-agent-label.log",
    "opendevstack/ods-project-quickstarters",
    "jenkins",
    "infrastructure",
    [
        "https://github.com/opendevstack/ods-project-quickstarters/issues/96",
        "https://www.jenkins.io/doc/book/pipeline/syntax/#agent",
    ],
)
def no_agent(rng: random.Random) -> list[str]:
    return [
        "Started by an SCM change",
        "[Pipeline] Start of Pipeline",
        "[Pipeline] node",
        "Still waiting to schedule task",
        *g(["‘macos-arm64’ is offline", "There are no nodes with the label ‘macos-arm64 && xcode15’"]),
        "Aborted by jenkins-admin",
        "[Pipeline] // node",
        "[Pipeline] End of Pipeline",
        "org.jenkinsci.plugins.workflow.steps.FlowInterruptedException",
        "\tat org.jenkinsci.plugins.workflow.cps.CpsBodyExecution.cancel(CpsBodyExecution.java:253)",
        "Finished: ABORTED",
    ]


@spec(
    "34-timeout.log",
    "cilium/cilium",
    "jenkins",
    "timeout",
    [
        "https://github.com/cilium/cilium/issues/18791",
        "https://github.com/jenkinsci/workflow-basic-steps-plugin (TimeoutStepExecution messages)",
    ],
    "clock",
)
def timeout(rng: random.Random) -> list[str]:
    body = [
        "vagrant up runtime --provision",
        *[
            f"    runtime: #6 {40 + i}.{rng.randrange(99):02d}   Downloading pkg{i}.whl ({rng.randint(10, 900)} kB)"
            for i in range(12)
        ],
        *g(["Cancelling nested steps due to timeout"]),
        "Sending interrupt signal to process",
        "After 20s process did not stop",
        "Body did not finish within grace period; terminating with extreme prejudice",
    ]
    return [
        *head(rng, "cilium/cilium"),
        "[Pipeline] timeout",
        *g(["Timeout set to expire in 30 min"]),
        *stage("Boot VMs", sh(body[0], body[1:])),
        *skipped("Runtime tests"),
        *tail("ABORTED", "ERROR: script returned exit code 143"),
    ]


@spec(
    "35-aborted-by-user.log",
    "docs:pipeline-syntax",
    "jenkins",
    "timeout",
    ["https://www.jenkins.io/doc/book/using/aborting-a-build/"],
)
def aborted(rng: random.Random) -> list[str]:
    body = [
        "./integration.sh",
        "waiting for database...",
        "waiting for database...",
        "waiting for database...",
    ]
    return [
        *head(rng, "acme/integration"),
        *stage(
            "Integration",
            sh(
                body[0],
                body[1:]
                + g(["Aborted by alice"])
                + [
                    "Sending interrupt signal to process",
                    "./integration.sh: line 14: 4021 Terminated              sleep 5",
                ],
            ),
        ),
        *tail("ABORTED", "ERROR: script returned exit code 143"),
    ]


@spec(
    "36-oom-137-docker.log",
    "jenkins-infra/pipeline-library",
    "jenkins",
    "out_of_memory",
    ["https://github.com/jenkins-infra/pipeline-library/pull/252 ('script returned exit code 137')", DURABLE],
    "iso",
)
def oom_docker(rng: random.Random) -> list[str]:
    body = [
        "[Pipeline] withDockerContainer",
        "agent-linux-2 does not seem to be running inside a container",
        "$ docker run -t -d -u 1000:1000 -m 2g -w /var/lib/jenkins/workspace/app_main node:20 cat",
        "$ docker top 4f2c1a9e7b3d -eo pid,comm",
        *sh(
            "npm run build",
            [
                "",
                "> web-app@2.4.0 build",
                "> webpack --mode production",
                "",
                "asset vendor.js 2.1 MiB [emitted] [big]",
                *g(["Killed"]),
            ],
        ),
        "$ docker stop --time=1 4f2c1a9e7b3d",
        "$ docker rm -f --volumes 4f2c1a9e7b3d",
        "[Pipeline] // withDockerContainer",
    ]
    return [
        *head(rng, "acme/web-app"),
        *stage("Build", body),
        *post_actions(rng, junit=False),
        *tail("FAILURE", "»ERROR: script returned exit code 137"),
    ]


@spec(
    "37-k8s-image-pull.log",
    "jenkinsci/kubernetes-plugin",
    "jenkins",
    "infrastructure",
    [
        "https://github.com/jenkinsci/kubernetes-plugin/pull/497 ('Unable to pull Docker image')",
        "https://plugins.jenkins.io/kubernetes/",
    ],
)
def k8s_image(rng: random.Random) -> list[str]:
    pod = "build-42-q7x2k-8n3vd"
    return [
        "Started by user admin",
        "[Pipeline] Start of Pipeline",
        "[Pipeline] podTemplate",
        "[Pipeline] {",
        "[Pipeline] node",
        f"Created Pod: kubernetes ci/{pod}",
        "Still waiting to schedule task",
        f"‘{pod}’ is offline",
        *g(
            [
                'ERROR: Unable to pull Docker image "registry.acme.io/build/maven:3.9-jdk21-typo". Check if image tag name is spelled correctly.'
            ]
        ),
        "[Pipeline] // node",
        "[Pipeline] }",
        "[Pipeline] // podTemplate",
        "[Pipeline] End of Pipeline",
        "Queue task was cancelled",
        "org.jenkinsci.plugins.workflow.steps.FlowInterruptedException",
        "Finished: ABORTED",
    ]


@spec(
    "38-k8s-oomkilled.log",
    "jenkinsci/kubernetes-plugin",
    "jenkins",
    "out_of_memory",
    ["https://github.com/jenkinsci/kubernetes-plugin/pull/1113 ('Reason: OOMKilled')"],
    "clock",
)
def k8s_oom(rng: random.Random) -> list[str]:
    body = sh(
        "mvn -B verify",
        [*maven_noise(rng), "[INFO]  T E S T S", "[INFO] Running com.acme.big.IndexBuilderTest"],
    )
    return [
        "Started by user admin",
        "[Pipeline] Start of Pipeline",
        "[Pipeline] podTemplate",
        "[Pipeline] {",
        "[Pipeline] node",
        "Created Pod: kubernetes ci/build-7-abcde-xyz12",
        "Agent build-7-abcde-xyz12 is provisioned from template build-7-abcde",
        "Running on build-7-abcde-xyz12 in /home/jenkins/agent/workspace/indexer",
        "[Pipeline] {",
        "[Pipeline] container",
        "[Pipeline] {",
        *stage("Build", body),
        *g(["- maven -- terminated (137)", "-----Logs-------------", "Reason: OOMKilled"]),
        "[Pipeline] }",
        "[Pipeline] // container",
        "[Pipeline] }",
        "[Pipeline] // node",
        "[Pipeline] }",
        "[Pipeline] // podTemplate",
        "[Pipeline] End of Pipeline",
        "ERROR: script returned exit code 137",
        "Finished: FAILURE",
    ]


DOCKER_DOC = "https://docs.docker.com/build/building/ (BuildKit plain progress output)"


@spec(
    "39-docker-buildkit-npm.log",
    "docs:docker",
    "docker",
    "dependency",
    [DOCKER_DOC, "https://docs.npmjs.com/cli/v10/using-npm/logging"],
    notes="A docker build wrapper; its category comes from the inner RUN step (npm ci: dependency). BuildKit prefixes each line with '#N 1.23 '.",
)
def buildkit(rng: random.Random) -> list[str]:
    body = [
        '#0 building with "default" instance using docker driver',
        "#1 [internal] load build definition from Dockerfile",
        "#1 transferring dockerfile: 612B done",
        "#1 DONE 0.0s",
        "#5 [2/6] WORKDIR /app",
        "#5 DONE 0.1s",
        "#7 [4/6] RUN npm ci --omit=dev",
        "#7 1.245 npm warn config production Use `--omit=dev` instead.",
        *g(
            [
                "#7 9.812 npm error code E404",
                "#7 9.812 npm error 404 Not Found - GET https://registry.npmjs.org/@acme%2fui-kit - Not found",
                "#7 9.813 npm error 404",
                "#7 9.813 npm error 404  '@acme/ui-kit@^3.2.0' is not in this registry.",
            ]
        ),
        "#7 9.814 npm error 404",
        "#7 9.814 npm error 404 Note that you can also install from a",
        "#7 9.815 npm error 404 tarball, folder, http url, or git url.",
        "#7 9.820 npm error A complete log of this run can be found in: /root/.npm/_logs/2024-05-02T10_20_11_001Z-debug-0.log",
        '#7 ERROR: process "/bin/sh -c npm ci --omit=dev" did not complete successfully: exit code: 1',
        "------",
        " > [4/6] RUN npm ci --omit=dev:",
        "9.813 npm error 404  '@acme/ui-kit@^3.2.0' is not in this registry.",
        "------",
        "Dockerfile:9",
        "--------------------",
        "   8 |     COPY package*.json ./",
        "   9 | >>> RUN npm ci --omit=dev",
        "--------------------",
        'ERROR: failed to solve: process "/bin/sh -c npm ci --omit=dev" did not complete successfully: exit code: 1',
    ]
    return _declarative(
        rng,
        "acme/storefront",
        [
            *stage("Image", sh("docker build --progress=plain -t storefront:$BUILD_NUMBER .", body)),
            *skipped("Push"),
        ],
        junit=False,
    )


@spec(
    "40-docker-pull-denied.log",
    "jenkins-x/jx",
    "docker",
    "infrastructure",
    [
        "https://github.com/jenkins-x/jx/issues/6193 ('pull access denied')",
        "https://plugins.jenkins.io/docker-workflow/",
    ],
    "iso",
)
def docker_denied(rng: random.Random) -> list[str]:
    body = [
        "[Pipeline] withDockerContainer",
        "$ docker pull acme/builder:2024.04",
        *g(
            [
                "Error response from daemon: pull access denied for acme/builder, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
            ]
        ),
        "[Pipeline] // withDockerContainer",
    ]
    return [
        *head(rng, "acme/toolbox"),
        *stage("Build", body),
        *tail("FAILURE", "ERROR: docker pull acme/builder:2024.04 returned exit code 1"),
    ]


@spec(
    "41-git-remote-ref.log",
    "docs:git-plugin",
    "git",
    "infrastructure",
    ["https://plugins.jenkins.io/git/", "https://git-scm.com/docs/git-fetch"],
    notes="'No credentials specified' is the git plugin's routine line on an anonymous checkout, not the error.",
)
def git_ref(rng: random.Random) -> list[str]:
    lines = checkout(rng, "acme/catalog")[:10]
    return [
        "Started by user admin",
        "[Pipeline] Start of Pipeline",
        "[Pipeline] node",
        "Running on agent-linux-1 in /var/lib/jenkins/workspace/catalog",
        "[Pipeline] {",
        "[Pipeline] stage",
        "[Pipeline] { (Checkout)",
        *lines,
        *g(
            [
                " > git fetch --tags --force --progress -- https://github.com/acme/catalog.git +refs/heads/release/9.9:refs/remotes/origin/release/9.9 # timeout=10",
                "ERROR: Error fetching remote repo 'origin'",
                "hudson.plugins.git.GitException: Failed to fetch from https://github.com/acme/catalog.git",
                "stderr: fatal: couldn't find remote ref refs/heads/release/9.9",
            ]
        ),
        "\tat hudson.plugins.git.GitSCM.fetchFrom(GitSCM.java:1003)",
        "\tat hudson.plugins.git.GitSCM.retrieveChanges(GitSCM.java:1245)",
        "[Pipeline] }",
        "[Pipeline] // stage",
        "[Pipeline] }",
        "[Pipeline] // node",
        "[Pipeline] End of Pipeline",
        "ERROR: Error fetching remote repo 'origin'",
        "Finished: FAILURE",
    ]


@spec(
    "42-quality-gate-unstable.log",
    "docs:warnings-ng",
    "java",
    "lint",
    [
        "https://github.com/jenkinsci/warnings-ng-plugin/blob/main/doc/Documentation.md#quality-gate-configuration"
    ],
    "clock",
    notes="The build is UNSTABLE because a quality gate was missed: the gate's report is the failure.",
)
def quality_gate(rng: random.Random) -> list[str]:
    body = [
        "[Pipeline] recordIssues",
        "[CheckStyle] Searching for all files in '/var/lib/jenkins/workspace/app_main' that match the pattern '**/checkstyle-result.xml'",
        "[CheckStyle] -> found 1 file",
        "[CheckStyle] Successfully parsed file /var/lib/jenkins/workspace/app_main/target/checkstyle-result.xml",
        "[CheckStyle] -> found 14 issues (skipped 0 duplicates)",
        "[CheckStyle] Evaluating quality gates",
        *g(
            [
                "[CheckStyle] -> Some quality gates have been missed: overall result is UNSTABLE",
                "[CheckStyle] -> Details for each quality gate:",
                "[CheckStyle]    - [Total (any severity)]: ≪Unstable≫ - (Actual value: 14, Quality gate: 1.00)",
            ]
        ),
        "[CheckStyle] Health report is disabled - skipping",
        "[CheckStyle] Created analysis result for 14 issues (found 3 new issues, fixed 0 issues)",
    ]
    return [
        *head(rng, "acme/users"),
        *stage(
            "Build", sh("mvn -B verify checkstyle:checkstyle", [*maven_noise(rng), "[INFO] BUILD SUCCESS"])
        ),
        *stage("Static analysis", body),
        *tail("UNSTABLE", None),
    ]


@spec(
    "43-terraform-plan.log",
    "docs:terraform",
    "terraform",
    "configuration",
    ["https://developer.hashicorp.com/terraform/cli/commands/plan"],
    "iso",
)
def terraform(rng: random.Random) -> list[str]:
    body = [
        "Initializing the backend...",
        "Initializing provider plugins...",
        "- Reusing previous version of hashicorp/aws from the dependency lock file",
        "- Using previously-installed hashicorp/aws v5.31.0",
        "",
        "Terraform has been successfully initialized!",
        "",
        *g(
            [
                "╷",
                "│ Error: Unsupported argument",
                "│ ",
                '│   on main.tf line 27, in resource "aws_s3_bucket" "logs":',
                '│   27:   acl_policy = "private"',
                "│ ",
                '│ An argument named "acl_policy" is not expected here.',
                "╵",
            ]
        ),
    ]
    return _declarative(
        rng,
        "acme/infra",
        [
            *stage(
                "Plan", sh("terraform init -input=false && terraform plan -input=false -out=tfplan", body)
            ),
            *skipped("Apply"),
        ],
        junit=False,
    )


@spec(
    "44-helm-upgrade.log",
    "docs:helm",
    "helm",
    "infrastructure",
    [
        "https://helm.sh/docs/helm/helm_upgrade/",
        "https://kubernetes.io/docs/reference/kubectl/generated/kubectl_rollout/kubectl_rollout_status/",
    ],
)
def helm(rng: random.Random) -> list[str]:
    body = [
        'Release "storefront" does not exist. Installing it now.',
        *g(["Error: INSTALLATION FAILED: context deadline exceeded"]),
    ]
    roll = [
        'Waiting for deployment "storefront" rollout to finish: 0 of 3 updated replicas are available...',
        *g(['error: deployment "storefront" exceeded its progress deadline']),
    ]
    return _declarative(
        rng,
        "acme/storefront",
        [
            *stage(
                "Deploy",
                sh("helm upgrade --install storefront ./chart --wait --timeout 5m", body)
                + sh("kubectl rollout status deploy/storefront --timeout=60s", roll),
            )
        ],
        junit=False,
    )


@spec(
    "45-ansible.log",
    "docs:ansible",
    "ansible",
    "configuration",
    ["https://docs.ansible.com/ansible/latest/collections/ansible/builtin/default_callback.html"],
    "clock",
)
def ansible(rng: random.Random) -> list[str]:
    body = [
        "",
        "PLAY [webservers] **************************************************************",
        "",
        "TASK [Gathering Facts] *********************************************************",
        "ok: [web-1]",
        "ok: [web-2]",
        "",
        "TASK [nginx : install nginx] ***************************************************",
        "ok: [web-1]",
        "ok: [web-2]",
        "",
        "TASK [nginx : render site config] **********************************************",
        *g(
            [
                'fatal: [web-1]: FAILED! => {"changed": false, "msg": "AnsibleUndefinedVariable: \'upstream_port\' is undefined"}',
                'fatal: [web-2]: FAILED! => {"changed": false, "msg": "AnsibleUndefinedVariable: \'upstream_port\' is undefined"}',
            ]
        ),
        "",
        "PLAY RECAP *********************************************************************",
        "web-1                      : ok=2    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0",
        "web-2                      : ok=2    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0",
    ]
    return _declarative(
        rng,
        "acme/infra",
        [*stage("Configure", sh("ansible-playbook -i inventory/prod site.yml", body))],
        junit=False,
        error="ERROR: script returned exit code 2",
    )


@spec(
    "46-powershell.log",
    "docs:powershell",
    "powershell",
    "configuration",
    [
        "https://learn.microsoft.com/powershell/scripting/learn/deep-dives/everything-about-exceptions",
        "https://plugins.jenkins.io/powershell/",
    ],
    notes="A Windows agent; PowerShell's error record (message, position, CategoryInfo) is the failure.",
)
def powershell(rng: random.Random) -> list[str]:
    body = [
        "Packaging release 4.2.0",
        *g(
            [
                "Copy-Item : Cannot find path 'C:\\ws\\app_main\\dist\\setup.exe' because it does not exist.",
                "At C:\\ws\\app_main@tmp\\durable-6f1c2d3e\\powershellWrapper.ps1:3 char:1",
                "+ Copy-Item dist\\setup.exe \\\\fileserver\\releases\\4.2.0\\",
                "+ ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~",
                "    + CategoryInfo          : ObjectNotFound: (C:\\ws\\app_main\\dist\\setup.exe:String) [Copy-Item], ItemNotFoundException",
                "    + FullyQualifiedErrorId : PathNotFound,Microsoft.PowerShell.Commands.CopyItemCommand",
            ]
        ),
    ]
    return _declarative(
        rng,
        "acme/desktop",
        [*stage("Package", ["[Pipeline] powershell", *body])],
        junit=False,
        agent="windows-2022-1",
    )


@spec(
    "47-disk-full.log",
    "docs:coreutils",
    "maven",
    "infrastructure",
    ["https://www.gnu.org/software/libc/manual/html_node/Error-Codes.html (ENOSPC)"],
    "iso",
)
def disk_full(rng: random.Random) -> list[str]:
    body = [
        *maven_noise(rng),
        "[INFO] Building jar: /var/lib/jenkins/workspace/app_main/target/app-1.0.jar",
        *g(
            [
                "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-jar-plugin:3.3.0:jar (default-jar) on project app: Error assembling JAR: java.io.IOException: No space left on device -> [Help 1]"
            ]
        ),
    ]
    return _declarative(
        rng, "acme/app", [*stage("Package", sh("mvn -B package -DskipTests", body))], junit=False
    )


@spec(
    "48-npm-network-retry.log",
    "docs:npm",
    "npm",
    "infrastructure",
    ["https://docs.npmjs.com/cli/v10/using-npm/config#fetch-retries"],
    notes="A retried step whose first attempt failed on the network and a later attempt failed the same way.",
)
def npm_network(rng: random.Random) -> list[str]:
    attempt = [
        "npm error code ETIMEDOUT",
        "npm error errno ETIMEDOUT",
        "npm error network request to https://registry.npmjs.org/lodash failed, reason: connect ETIMEDOUT 104.16.2.35:443",
        "npm error network This is a problem related to network connectivity.",
    ]
    return _declarative(
        rng,
        "acme/web-app",
        [
            *stage(
                "Install",
                [
                    "[Pipeline] retry",
                    *sh(
                        "npm ci",
                        [
                            *attempt,
                            "npm error A complete log of this run can be found in: /home/jenkins/.npm/_logs/a-debug-0.log",
                        ],
                    ),
                    "ERROR: script returned exit code 1",
                    "Retrying",
                    *sh(
                        "npm ci",
                        [
                            *g(attempt),
                            "npm error A complete log of this run can be found in: /home/jenkins/.npm/_logs/b-debug-0.log",
                        ],
                    ),
                ],
            )
        ],
        junit=False,
    )


@spec(
    "49-shell-no-error-word.log",
    "docs:pipeline-syntax",
    "shell",
    "",
    ["https://www.jenkins.io/doc/pipeline/steps/workflow-durable-task-step/#sh-shell-script", DURABLE],
    "clock",
    notes="No error word: the failing step's own command and output are the failure.",
)
def shell_plain(rng: random.Random) -> list[str]:
    body = [
        "+ ./scripts/check-version.sh",
        *g(["chart version 1.4.2 does not match app version 1.4.3", "+ exit 3"]),
    ]
    return [
        *head(rng, "acme/charts"),
        *stage("Build", sh("make package", ["tar czf chart.tgz chart/", "done"])),
        *stage("Verify", ["[Pipeline] sh", *body]),
        *skipped("Release"),
        *tail("FAILURE", "ERROR: script returned exit code 3"),
    ]


@spec(
    "50-scripted-pytest-import.log",
    "docs:pytest",
    "pytest",
    "dependency",
    ["https://docs.pytest.org/en/stable/explanation/pythonpath.html"],
    notes="Scripted pipeline; a test module fails to import a package that is not installed.",
)
def scripted_import(rng: random.Random) -> list[str]:
    body = [
        *pip_noise(rng),
        *pytest_progress(rng, ["test_core.py"])[:4],
        "==================================== ERRORS ====================================",
        "_______________________ ERROR collecting tests/test_s3.py _______________________",
        "ImportError while importing test module '/var/lib/jenkins/workspace/app_main/tests/test_s3.py'.",
        *g(
            [
                "tests/test_s3.py:3: in <module>",
                "    import boto3",
                "E   ModuleNotFoundError: No module named 'boto3'",
            ]
        ),
        "=========================== short test summary info ============================",
        "ERROR tests/test_s3.py",
        "!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!",
    ]
    return [
        *head(rng, "acme/uploader", declarative=False),
        *stage("Test", sh("python -m pytest", body)),
        *tail("FAILURE", "ERROR: script returned exit code 2", declarative=False),
    ]


@spec(
    "51-npm-ci-lockfile.log",
    "docs:npm",
    "npm",
    "dependency",
    ["https://docs.npmjs.com/cli/v10/commands/npm-ci"],
    "iso",
)
def npm_lock(rng: random.Random) -> list[str]:
    body = [
        *g(
            [
                "npm error code EUSAGE",
                "npm error",
                "npm error `npm ci` can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync. Please update your lock file with `npm install` before continuing.",
                "npm error",
                "npm error Missing: zod@3.23.8 from lock file",
            ]
        ),
        "npm error",
        "npm error Clean install a project",
        "npm error",
        "npm error Usage:",
        "npm error npm ci",
        "npm error A complete log of this run can be found in: /home/jenkins/.npm/_logs/2024-debug-0.log",
    ]
    return _declarative(rng, "acme/web-app", [*stage("Install", sh("npm ci", body))], junit=False)


@spec(
    "52-maven-tests-app-logs.log",
    "docs:maven",
    "maven",
    "test",
    ["https://maven.apache.org/surefire/maven-surefire-plugin/"],
    "clock",
    notes="Application ERROR log lines printed by passing tests come before the real failure.",
)
def maven_app_logs(rng: random.Random) -> list[str]:
    noisy = []
    for cls in ["com.acme.pay.GatewayTest", "com.acme.pay.RetryTest", "com.acme.pay.WebhookTest"]:
        noisy += surefire_like(rng, cls)
    body = [
        *maven_noise(rng),
        "[INFO]  T E S T S",
        *noisy,
        "[INFO] Running com.acme.pay.LedgerTest",
        *g(
            [
                "[ERROR] Tests run: 9, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.9 s <<< FAILURE! - in com.acme.pay.LedgerTest",
                "[ERROR] com.acme.pay.LedgerTest.balancesAfterRefund  Time elapsed: 0.05 s  <<< FAILURE!",
                "java.lang.AssertionError: ",
                "Expected: <0L>",
                "     but: was <500L>",
                "\tat com.acme.pay.LedgerTest.balancesAfterRefund(LedgerTest.java:77)",
            ]
        ),
        "[INFO] Results:",
        "[ERROR] Failures: ",
        "[ERROR]   LedgerTest.balancesAfterRefund:77 ",
        "[ERROR] Tests run: 40, Failures: 1, Errors: 0, Skipped: 0",
        "[INFO] BUILD FAILURE",
        "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:3.2.2:test (default-test) on project pay: There are test failures.",
    ]
    return _declarative(rng, "acme/pay", [*stage("Test", sh("mvn -B test", body))])


def surefire_like(rng: random.Random, cls: str) -> list[str]:
    return [
        f"[INFO] Running {cls}",
        f"2024-05-02 10:16:0{rng.randrange(10)} ERROR [main] {cls.rsplit('.', 1)[1]}: upstream returned 503, failing over (simulated)",
        "java.net.ConnectException: Connection refused",
        "\tat com.acme.pay.Client.send(Client.java:33)",
        f"[INFO] Tests run: {rng.randint(3, 9)}, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 1.{rng.randrange(9)} s - in {cls}",
    ]
