"""Work handed from one person to the next: the tasks of a work list and the messages that
announce them."""
