"""Type tokens the engine sends, checked against pulumi_mongodbatlas 4.14.0 and pulumi_aws 7.51.1 (the pinned versions)."""

ACCESS_LIST = "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList"
DATABASE_USER = "mongodbatlas:index/databaseUser:DatabaseUser"
CUSTOM_DB_ROLE = "mongodbatlas:index/customDbRole:CustomDbRole"
ADVANCED_CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"
LEGACY_CLUSTER = "mongodbatlas:index/cluster:Cluster"
PROJECT = "mongodbatlas:index/project:Project"
AUDITING = "mongodbatlas:index/auditing:Auditing"
ENCRYPTION_AT_REST = "mongodbatlas:index/encryptionAtRest:EncryptionAtRest"
LOG_INTEGRATION = "mongodbatlas:index/logIntegration:LogIntegration"
ALERT_CONFIGURATION = "mongodbatlas:index/alertConfiguration:AlertConfiguration"
PRIVATE_LINK_ENDPOINT = "mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint"
PRIVATE_LINK_ENDPOINT_SERVICE = "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService"

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SECURITY_GROUP_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
KMS_KEY = "aws:kms/key:Key"
SECRET = "aws:secretsmanager/secret:Secret"

# Who may touch production (rules/access.py).
ORGANIZATION = "mongodbatlas:index/organization:Organization"
SERVICE_ACCOUNT = "mongodbatlas:index/serviceAccount:ServiceAccount"
PROJECT_SERVICE_ACCOUNT = "mongodbatlas:index/projectServiceAccount:ProjectServiceAccount"
SERVICE_ACCOUNT_ACCESS_ENTRY = "mongodbatlas:index/serviceAccountAccessListEntry:ServiceAccountAccessListEntry"
PROJECT_SERVICE_ACCOUNT_ACCESS_ENTRY = (
    "mongodbatlas:index/projectServiceAccountAccessListEntry:ProjectServiceAccountAccessListEntry"
)
