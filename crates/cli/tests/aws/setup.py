"""Fills a moto server (AWS API emulator, server mode) with the EKS clusters and ECR
repositories of kspm's AWS tests, through boto3 as a user would with the AWS CLI.

usage: setup.py ENDPOINT [--denied]
  default   eu-west-1: cluster `prod` configured as CIS EKS asks, repositories shop/web
            (scan on push) and shop/api (scanned by a registry rule);
            us-east-1: cluster `dev` configured loosely, repository dev/app (no scanning).
  --denied  for a server started with INITIAL_NO_AUTH_ACTION_COUNT=6: the same `prod`
            cluster and shop/web, then an IAM user allowed sts:GetCallerIdentity only; prints
            its keys as JSON.
"""
import json
import sys

import boto3

ACCOUNT = "123456789012"
ALL_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def client(service, endpoint, region, key="testing", secret="testing"):
    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=key, aws_secret_access_key=secret)


def prod(endpoint):
    eks = client("eks", endpoint, "eu-west-1")
    eks.create_cluster(
        name="prod", version="1.33",
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks-cluster",
        resourcesVpcConfig={"subnetIds": ["subnet-0a1", "subnet-0b2"],
                            "endpointPublicAccess": False, "endpointPrivateAccess": True},
        logging={"clusterLogging": [{"types": ALL_LOGS, "enabled": True}]},
        encryptionConfig=[{"resources": ["secrets"],
                           "provider": {"keyArn": f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1f2e3d4c"}}],
    )
    ecr = client("ecr", endpoint, "eu-west-1")
    ecr.create_repository(repositoryName="shop/web",
                          imageScanningConfiguration={"scanOnPush": True})


def main():
    endpoint = sys.argv[1]
    if "--denied" in sys.argv:
        prod(endpoint)  # 2 actions
        iam = client("iam", endpoint, "us-east-1")
        iam.create_user(UserName="kspm")
        key = iam.create_access_key(UserName="kspm")["AccessKey"]
        iam.put_user_policy(UserName="kspm", PolicyName="identity-only", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["sts:GetCallerIdentity"], "Resource": "*"}],
        }))
        print(json.dumps({"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}))
        return
    prod(endpoint)
    ecr = client("ecr", endpoint, "eu-west-1")
    ecr.create_repository(repositoryName="shop/api",
                          imageScanningConfiguration={"scanOnPush": False})
    ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[
        {"scanFrequency": "SCAN_ON_PUSH",
         "repositoryFilters": [{"filter": "shop/a*", "filterType": "WILDCARD"}]}])

    eks = client("eks", endpoint, "us-east-1")
    eks.create_cluster(
        name="dev", version="1.31",
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks-cluster",
        resourcesVpcConfig={"subnetIds": ["subnet-0c3"], "endpointPublicAccess": True,
                            "endpointPrivateAccess": False, "publicAccessCidrs": ["0.0.0.0/0"]},
        logging={"clusterLogging": [{"types": ["api"], "enabled": True},
                                    {"types": ["audit", "authenticator", "controllerManager", "scheduler"],
                                     "enabled": False}]},
    )
    client("ecr", endpoint, "us-east-1").create_repository(
        repositoryName="dev/app", imageScanningConfiguration={"scanOnPush": False})
    print(json.dumps({"ok": True}))


main()
