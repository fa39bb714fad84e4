# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS connection options (module_utils/aws.py ARGUMENT_SPEC): the S3 ledger, the kill switch's IAM deny."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  region:
    description: AWS region; default, the profile's or the environment's (boto3's own configuration).
    type: str
  profile:
    description: AWS profile to take credentials from; default, boto3's credential chain.
    type: str
  endpoint_url:
    description: The service endpoint, for an S3-compatible store, a VPC endpoint or a test server such as moto.
    type: str
  aws_access_key_id:
    description: AWS access key; default, boto3's credential chain (environment, profile, instance role).
    type: str
  aws_secret_access_key:
    description: AWS secret key, with O(aws_access_key_id).
    type: str
  aws_session_token:
    description: AWS session token for temporary credentials.
    type: str
"""
