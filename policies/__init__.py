"""Access (R3, R4, R13-R17): the policy decision point, requests, grants and disputes."""
