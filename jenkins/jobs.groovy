// Job DSL run by JCasC at start-up (casc.yaml, "jobs"): the sample jobs a new user runs first.
folder('demo') {
    displayName('langchain-jenkins demo')
    description('Sample builds that fail on purpose so the assistant has something to explain.')
}

pipelineJob('demo/maven-build-fails') {
    description('A Maven-like build whose unit test fails. analyzeFailure prints the category, the cause, the ' +
            'excerpt with line numbers and a fix, and sets the build description.')
    definition {
        cps {
            script(new File('/usr/share/jenkins/langchain-jenkins/sample-jobs/maven-build-fails.Jenkinsfile').text)
            sandbox(true)
        }
    }
}

pipelineJob('demo/scripted-with-agent') {
    description('The same failure in a scripted Pipeline wrapped in withJenkinsAgent: started and completed ' +
            'events and the failure analysis happen without a post section.')
    definition {
        cps {
            script(new File('/usr/share/jenkins/langchain-jenkins/sample-jobs/scripted-with-agent.Jenkinsfile').text)
            sandbox(true)
        }
    }
}
