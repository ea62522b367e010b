"""integrate"""
