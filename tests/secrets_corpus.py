"""Fake credentials as failing CI steps print them: the corpus the redaction tests hold every output to.

Each :class:`Shape` is a few console lines (a command echoed by ``set -x``, a tool's error, a config file cat'ed
while debugging), the secret values in them, and a ``context`` that is *not* secret and must still be visible
(so a test can tell "shown, redacted" from "not shown at all"). Every value is fake: generated from a fixed
seed in the shape real ones have (length, alphabet, prefix), so the token-shape rules see what they would see.
"""

from __future__ import annotations

import base64
import random
import string
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
HEX = "0123456789abcdef"
URLSAFE = ALNUM + "_-"


def fake(n: int, alphabet: str = ALNUM, *, seed: str) -> str:
    """``n`` characters from ``alphabet``, always the same for the same seed, with letters and digits mixed."""
    rng = random.Random(seed)
    kinds = [kind for kind in (str.isdigit, str.islower, str.isupper) if any(kind(c) for c in alphabet)]
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(n))
        if n < 6 or all(any(kind(c) for c in value) for kind in kinds):
            return value


@dataclass(frozen=True)
class Shape:
    id: str
    lines: str  # what the failing step printed (one or more lines)
    secrets: tuple[str, ...]  # values that must never appear in any output
    context: str  # a non-secret part of the lines that must still appear (proves the lines were shown)


def _shapes() -> list[Shape]:
    s: list[Shape] = []

    def add(id: str, lines: str, secrets: tuple[str, ...] | str, context: str) -> None:
        s.append(Shape(id, lines, (secrets,) if isinstance(secrets, str) else secrets, context))

    pw = fake(16, seed="curl")
    add(
        "curl-u",
        f"+ curl -fsS -u deploy:{pw} https://nexus.acme.io/repository/raw/app.tgz",
        pw,
        "curl -fsS -u deploy:",
    )
    pw = fake(18, seed="curl-user")
    add(
        "curl-user-quoted",
        f"+ curl --user 'ci-bot:{pw}' -X POST https://api.acme.io/v2/deploy",
        pw,
        "curl --user",
    )
    pw = fake(16, seed="docker-p")
    add(
        "docker-login-p",
        f"+ docker login -u acmeci -p {pw} registry.acme.io",
        pw,
        "docker login -u acmeci -p",
    )
    pw = fake(16, seed="docker-password")
    add(
        "docker-login-password",
        f"+ docker login --password={pw} --username ci registry.acme.io",
        pw,
        "docker login --password=",
    )
    pw = fake(14, seed="podman")
    add("podman-login-p", f"+ podman login quay.io -u robot+ci -p {pw}", pw, "podman login quay.io")
    pw = fake(12, seed="mysql")
    add(
        "mysql-p-attached",
        f"+ mysql -h db.internal -u root -p{pw} shop < schema.sql",
        pw,
        "mysql -h db.internal",
    )
    pw = fake(16, seed="sshpass")
    add("sshpass-p", f"+ sshpass -p '{pw}' ssh deploy@app01 ./restart.sh", pw, "sshpass -p")
    pw = fake(16, seed="helm")
    add(
        "helm-password",
        f"+ helm registry login ghcr.io --username ci --password {pw}",
        pw,
        "helm registry login",
    )
    pw = fake(16, seed="redis-cli")
    add("redis-cli-a", f"+ redis-cli -h cache -a {pw} FLUSHALL", pw, "redis-cli -h cache")
    pw = fake(16, seed="https-url")
    add(
        "url-https",
        f"fatal: unable to access 'https://ci-bot:{pw}@git.acme.io/team/api.git/': The requested URL returned error: 403",
        pw,
        "fatal: unable to access",
    )
    pw = fake(16, seed="postgres")
    add(
        "url-postgresql",
        f"sqlalchemy.exc.OperationalError: could not connect: postgresql://app:{pw}@db.internal:5432/app",
        pw,
        "sqlalchemy.exc.OperationalError",
    )
    pw = fake(16, seed="redis-url")
    add(
        "url-redis-empty-user",
        f"redis.exceptions.ConnectionError: Error 111 connecting to redis://:{pw}@cache:6379/0",
        pw,
        "redis.exceptions.ConnectionError",
    )
    pw = fake(16, seed="mongo-srv")
    add(
        "url-mongodb-srv",
        f"pymongo.errors.ServerSelectionTimeoutError: mongodb+srv://svc:{pw}@cluster0.ab1cd.mongodb.net/prod",
        pw,
        "ServerSelectionTimeoutError",
    )
    pw = fake(14, seed="amqp")
    add(
        "url-amqp",
        f"kombu.exceptions.OperationalError: amqp://guest:{pw}@rabbit:5672// refused",
        pw,
        "kombu.exceptions.OperationalError",
    )
    pw = fake(14, seed="ftp")
    add(
        "url-ftp",
        f"curl: (67) Access denied: ftp://upload:{pw}@ftp.acme.io/pub/",
        pw,
        "curl: (67) Access denied",
    )
    key_id = "AKIA" + fake(16, string.ascii_uppercase + string.digits, seed="aws-id")
    add(
        "aws-access-key-id",
        f"An error occurred (InvalidClientTokenId) when calling GetCallerIdentity: key {key_id}",
        key_id,
        "InvalidClientTokenId",
    )
    secret = fake(40, B64, seed="aws-secret")
    add("aws-secret-env", f"+ export AWS_SECRET_ACCESS_KEY={secret}", secret, "export AWS_SECRET_ACCESS_KEY=")
    session = "IQoJb3JpZ2luX2Vj" + fake(180, B64, seed="aws-session")
    add("aws-session-token", f"+ aws configure set aws_session_token {session}", session, "aws configure set")
    key_id = fake(40, HEX, seed="gcp-id")
    body = fake(64, B64, seed="gcp-body")
    add(
        "gcp-service-account-json",
        '{"type": "service_account", "project_id": "acme-ci", "private_key_id": "' + key_id + '", '
        '"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC'
        + body
        + '\\n-----END PRIVATE KEY-----\\n", '
        '"client_email": "ci@acme-ci.iam.gserviceaccount.com"}',
        (key_id, body),
        '"type": "service_account"',
    )
    key = "AIza" + fake(35, URLSAFE, seed="gcp-key")
    add(
        "gcp-api-key",
        f"google.api_core.exceptions.Forbidden: 403 API key {key} not valid for project acme-ci",
        key,
        "google.api_core.exceptions.Forbidden",
    )
    account_key = fake(86, B64, seed="azure-key") + "=="
    add(
        "azure-storage-connection-string",
        f"ERROR: AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=acmeci;AccountKey={account_key};EndpointSuffix=core.windows.net",
        account_key,
        "AccountName=acmeci",
    )
    account_key2 = fake(86, B64, seed="azure-key2") + "=="
    add(
        "azure-account-key-option",
        f"+ az storage blob upload --account-name acmeci --account-key {account_key2} -f app.zip",
        account_key2,
        "az storage blob upload",
    )
    sig = fake(43, ALNUM, seed="azure-sas") + "%3D"
    add(
        "azure-sas-url",
        f"azcopy: failed to perform copy: https://acmeci.blob.core.windows.net/builds/app.zip?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-12-01T00:00:00Z&sig={sig}",
        sig,
        "azcopy: failed to perform copy",
    )
    sb_key = fake(43, B64, seed="servicebus") + "="
    add(
        "azure-service-bus",
        f"Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={sb_key}",
        sb_key,
        "Endpoint=sb://acme.servicebus.windows.net/",
    )
    client_secret = fake(3, seed="aad1") + "8Q~" + fake(34, URLSAFE, seed="aad2")
    add(
        "azure-ad-client-secret",
        f"AADSTS7000215: Invalid client secret provided: {client_secret}",
        client_secret,
        "AADSTS7000215",
    )
    token = "ghp_" + fake(36, seed="ghp")
    add(
        "github-classic-pat",
        f"remote: Invalid username or token {token}",
        token,
        "remote: Invalid username or token",
    )
    token = (
        "github_pat_11"
        + fake(20, string.ascii_uppercase + string.digits, seed="ghfg1")
        + "_"
        + fake(59, seed="ghfg2")
    )
    add("github-fine-grained-pat", f"+ gh auth login --with-token <<< {token}", token, "gh auth login")
    token = "ghs_" + fake(36, seed="ghs")
    add(
        "github-app-token-in-url",
        f"+ git push https://x-access-token:{token}@github.com/acme/api.git HEAD:main",
        token,
        "git push",
    )
    token = "glpat-" + fake(20, URLSAFE, seed="glpat")
    add(
        "gitlab-pat-header",
        f"+ curl --header 'PRIVATE-TOKEN: {token}' https://gitlab.acme.io/api/v4/projects",
        token,
        "https://gitlab.acme.io/api/v4/projects",
    )
    token = "glcbt-64_" + fake(20, URLSAFE, seed="glcbt")
    add(
        "gitlab-ci-job-token",
        f"fatal: Authentication failed for 'https://gitlab-ci-token:{token}@gitlab.acme.io/team/app.git/'",
        token,
        "fatal: Authentication failed",
    )
    token = "ATBB" + fake(32, seed="atbb")
    add(
        "bitbucket-app-password",
        f"+ curl -u acme-ci:{token} https://api.bitbucket.org/2.0/repositories/acme",
        token,
        "https://api.bitbucket.org/2.0/repositories/acme",
    )
    token = f"xoxb-{fake(11, '0123456789', seed='sx1')}-{fake(13, '0123456789', seed='sx2')}-{fake(24, seed='sx3')}"
    add(
        "slack-bot-token",
        f"slack_sdk.errors.SlackApiError: invalid_auth for token {token}",
        token,
        "slack_sdk.errors.SlackApiError",
    )
    hook = f"https://hooks.slack.com/services/T{fake(8, string.ascii_uppercase + string.digits, seed='sh1')}/B{fake(10, string.ascii_uppercase + string.digits, seed='sh2')}/{fake(24, seed='sh3')}"
    add(
        "slack-webhook",
        f"+ curl -X POST -H 'Content-type: application/json' --data @msg.json {hook}",
        hook.rsplit("/", 1)[1],
        "--data @msg.json",
    )
    hook = f"https://discord.com/api/webhooks/{fake(19, '0123456789', seed='dh1')}/{fake(68, URLSAFE, seed='dh2')}"
    add(
        "discord-webhook",
        f"discord.errors.HTTPException: 401 Unauthorized posting to {hook}",
        hook.rsplit("/", 1)[1],
        "discord.errors.HTTPException",
    )
    token = (
        f"MT{fake(22, URLSAFE, seed='db1')}.{fake(6, URLSAFE, seed='db2')}.{fake(27, URLSAFE, seed='db3')}"
    )
    add(
        "discord-bot-token",
        f"discord.errors.LoginFailure: Improper token has been passed: {token}",
        token,
        "discord.errors.LoginFailure",
    )
    token = f"{fake(10, '0123456789', seed='tg1')}:AA{fake(33, URLSAFE, seed='tg2')}"
    add(
        "telegram-bot-token",
        f"requests.exceptions.HTTPError: 401 for url: https://api.telegram.org/bot{token}/sendMessage",
        token.split(":")[1],
        "requests.exceptions.HTTPError",
    )
    token = "npm_" + fake(36, seed="npm")
    add(
        "npmrc-auth-token",
        f"+ cat .npmrc\n//registry.npmjs.org/:_authToken={token}\nnpm ERR! code E401",
        token,
        "//registry.npmjs.org/:_authToken=",
    )
    pw_b64 = base64.b64encode(fake(14, seed="npmpw").encode()).decode()
    auth_b64 = base64.b64encode(f"deploy:{fake(14, seed='npmauth')}".encode()).decode()
    add(
        "npmrc-legacy-auth",
        f"//nexus.acme.io/repository/npm/:username=deploy\n//nexus.acme.io/repository/npm/:_password={pw_b64}\n_auth={auth_b64}\nnpm ERR! 401 Unauthorized",
        (pw_b64, auth_b64),
        "npm ERR! 401 Unauthorized",
    )
    token = "pypi-AgEIcHlwaS5vcmc" + fake(120, URLSAFE, seed="pypi")
    add(
        "pypirc",
        f"+ cat ~/.pypirc\n[pypi]\nusername = __token__\npassword = {token}\nHTTPError: 403 Forbidden",
        token,
        "username = __token__",
    )
    token = "pypi-AgEIcHlwaS5vcmc" + fake(120, URLSAFE, seed="twine")
    add("twine-p", f"+ twine upload -u __token__ -p {token} dist/*", token, "twine upload -u __token__")
    pw = fake(16, seed="maven")
    add(
        "maven-settings-xml",
        f"<server>\n  <id>nexus-releases</id>\n  <username>deploy</username>\n  <password>{pw}</password>\n</server>\n[ERROR] Failed to deploy artifacts: status code: 401",
        pw,
        "<id>nexus-releases</id>",
    )
    auth = base64.b64encode(f"acmeci:{fake(16, seed='dockercfg')}".encode()).decode()
    add(
        "docker-config-auth",
        '+ cat ~/.docker/config.json\n{"auths": {"registry.acme.io": {"auth": "' + auth + '"}}}',
        auth,
        "registry.acme.io",
    )
    token = "dckr_pat_" + fake(27, URLSAFE, seed="dckr")
    add(
        "docker-hub-pat",
        f"+ echo {token} | docker login -u acme --password-stdin",
        token,
        "docker login -u acme --password-stdin",
    )
    token = "hvs." + fake(24, URLSAFE, seed="hvs")
    add(
        "vault-token",
        f"Error making API request. Code: 403. Errors: * permission denied (token {token})",
        token,
        "Error making API request",
    )
    token = "hvs.CAESI" + fake(90, URLSAFE, seed="hvs-long")
    add(
        "vault-token-header",
        f'+ curl -H "X-Vault-Token: {token}" https://vault.acme.io/v1/secret/data/ci',
        token,
        "https://vault.acme.io/v1/secret/data/ci",
    )
    token = f"SG.{fake(22, URLSAFE, seed='sg1')}.{fake(43, URLSAFE, seed='sg2')}"
    add(
        "sendgrid-key",
        f"python_http_client.exceptions.UnauthorizedError: HTTP Error 401 with key {token}",
        token,
        "UnauthorizedError",
    )
    token = "sk_live_" + fake(24, seed="stripe")
    add(
        "stripe-live-key",
        f"stripe.error.AuthenticationError: Invalid API Key provided: {token}",
        token,
        "stripe.error.AuthenticationError",
    )
    token = "rk_test_" + fake(24, seed="stripe-test")
    add("stripe-test-key", f"+ stripe listen --api-key {token}", token, "stripe listen")
    token = "sk-proj-" + fake(48, URLSAFE, seed="openai")
    add(
        "openai-key",
        f"openai.AuthenticationError: Error code: 401 - invalid key {token}",
        token,
        "openai.AuthenticationError",
    )
    header = base64.urlsafe_b64encode(b'{"alg":"RS256","typ":"JWT"}').decode().rstrip("=")
    claims = base64.urlsafe_b64encode(b'{"sub":"ci-bot","iat":1700000000}').decode().rstrip("=")
    signature = fake(43, URLSAFE, seed="jwt")
    add(
        "jwt",
        f"kubectl: error: You must be logged in (token {header}.{claims}.{signature})",
        (claims, signature),
        "kubectl: error: You must be logged in",
    )
    lines = [fake(64, B64, seed=f"rsa{i}") for i in range(4)]
    add(
        "pem-rsa-block",
        "+ cat deploy_key\n-----BEGIN RSA PRIVATE KEY-----\n"
        + "\n".join(lines)
        + '\n-----END RSA PRIVATE KEY-----\nLoad key "deploy_key": invalid format',
        tuple(lines),
        'Load key "deploy_key": invalid format',
    )
    lines = [fake(70, B64, seed=f"ossh{i}") for i in range(3)]
    add(
        "pem-openssh-body-only",
        "\n".join(lines)
        + "\n-----END OPENSSH PRIVATE KEY-----\nssh: handshake failed: ssh: unable to authenticate",
        tuple(lines),
        "ssh: handshake failed",
    )
    token = fake(32, HEX, seed="bearer")
    add(
        "authorization-bearer",
        f"> GET /api/v1/deploy HTTP/1.1\n> Authorization: Bearer {token}\n< HTTP/1.1 401 Unauthorized",
        token,
        "> GET /api/v1/deploy HTTP/1.1",
    )
    basic = base64.b64encode(f"deploy:{fake(14, seed='basic')}".encode()).decode()
    add(
        "authorization-basic",
        f"> Authorization: Basic {basic}\n< HTTP/1.1 403 Forbidden",
        basic,
        "< HTTP/1.1 403 Forbidden",
    )
    key = fake(32, HEX, seed="xapikey")
    add(
        "x-api-key-header",
        f'+ curl -H "X-API-Key: {key}" https://sentry.acme.io/api/0/projects/',
        key,
        "https://sentry.acme.io/api/0/projects/",
    )
    token = "11" + fake(32, HEX, seed="jenkins")
    add(
        "jenkins-api-token",
        f"+ curl -u admin:{token} -X POST https://jenkins.acme.io/job/deploy/build",
        token,
        "https://jenkins.acme.io/job/deploy/build",
    )
    token = fake(20, seed="generic-token")
    add(
        "generic-token-option",
        f"+ ./scripts/deploy.sh --env prod --token {token}",
        token,
        "./scripts/deploy.sh --env prod",
    )
    pw = fake(16, seed="gradle")
    add(
        "gradle-signing-password",
        f"+ ./gradlew publish -Psigning.password={pw} -PsigningKeyId=24875D73",
        pw,
        "./gradlew publish",
    )
    pw = "correct horse " + fake(10, seed="quoted")
    add(
        "quoted-password-with-spaces",
        f'DB_PASSWORD="{pw}" ./migrate.sh failed with exit code 2',
        pw.split(" ", 2)[2],
        "./migrate.sh failed",
    )
    return s


SHAPES: tuple[Shape, ...] = tuple(_shapes())

#: Lines that look a little like secrets but are not: redaction must leave them exactly as they are.
NOT_SECRETS: tuple[str, ...] = (
    "+ mkdir -p build/reports",
    "gcc -pthread -pedantic -O2 -c main.c -o main.o",
    "+ docker run -p 8080:80 nginx:1.25",
    "+ ssh -p 2222 deploy@app01 uptime",
    "HEAD is now at 3f1c9a7b2e4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a Fix the build",
    "ERROR: password is required for user deploy",
    "Downloading from central: https://repo.maven.apache.org/maven2/org/slf4j/slf4j-api/2.0.9/slf4j-api-2.0.9.pom",
    "[ERROR] Tests run: 4, Failures: 1, Errors: 0, Skipped: 0",
    "token expired, refreshing",
    "npm ERR! code E401",
    "sha256:9b2a3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809",
)
