"""Information-system projects (R24-R28): the annual plan, the technical review application with
its resource-sharing list, the review, and acceptance with the sharing veto."""
