print("lowbit")
